import { AppError } from "./app-error.js";

/** Where a page of a list ordered by (created_at, id) stops, so the next one starts after it. */
export interface PageCursor {
  createdAt: string;
  id: string;
}

/** The opaque `next_cursor` a listing answers. */
export function encodeCursor(row: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id]), "utf8").toString("base64url");
}

/** Reads a cursor back; anything this server did not issue is a 400 naming `query.cursor`. */
export function decodeCursor(cursor: string): PageCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof createdAt === "string" && typeof id === "string") return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw new AppError(
    "VALIDATION_FAILED",
    "Invalid request: query.cursor: is not a cursor this server issued",
    {
      issues: [
        { field: "query.cursor", message: "is not a cursor this server issued; pass next_cursor unchanged" },
      ],
    },
  );
}
