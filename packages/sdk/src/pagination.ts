import { SymbiontError } from "./errors.js";

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Every item of a cursor-paged listing, fetching each page only when the previous one is used up,
 * so breaking out of a `for await` stops the requests too.
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    // A server handing back the cursor it was given would otherwise keep us here forever.
    if (page.next_cursor !== null && page.next_cursor === cursor) {
      throw new SymbiontError(`The server returned the same page cursor twice (${JSON.stringify(cursor)})`);
    }
    cursor = page.next_cursor || undefined;
  } while (cursor !== undefined);
}
