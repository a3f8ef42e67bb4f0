/** SQL migrations are imported `with { type: "text" }`: their text, embedded in the program (and so in a compiled binary). */
declare module "*.sql" {
  const text: string;
  export default text;
}
