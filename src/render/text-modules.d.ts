/** Style sheets are imported `with { type: "text" }`: their text, embedded in the program (and so in a compiled binary). */
declare module "*.css" {
  const text: string;
  export default text;
}
