/** Style sheets and the pages' scripts are imported `with { type: "text" }`: their text, embedded in the program (and so in a compiled binary). */
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*/page-charts.js" {
  const text: string;
  export default text;
}
declare module "*/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
