import { SymbiontError } from "../errors.js";

/** An id bound for a URL path: URL normalisation would turn an empty or dots-only one into another route. */
export function pathId(kind: string, id: string): string {
  if (typeof id !== "string" || /^\.*$/.test(id)) {
    throw new SymbiontError(
      `Invalid ${kind} id ${JSON.stringify(id)}: must be a non-empty string, not only dots`,
    );
  }
  return id;
}
