export { ExitCode } from "./exit-codes.js";
export { buildProgram, run } from "./program.js";
