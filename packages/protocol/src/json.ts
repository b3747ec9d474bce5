import { z } from "zod";

/** A datetime as clients send it: RFC 3339 with an offset or `Z`, or naive (read as UTC). */
export const InputDatetime = z.iso.datetime({ offset: true, local: true });

/** Naive datetimes are UTC; every stored timestamp is `toISOString()` text. */
export function toIsoUtc(value: string): string {
  const naive = !/(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  return new Date(naive ? `${value}Z` : value).toISOString();
}

/**
 * A JSON object whose serialised form stays under `maxChars`: one check bounds nesting, key count
 * and string sizes together, so a hostile body cannot blow up storage or indexing.
 */
export function boundedJsonObject(maxChars: number) {
  return z
    .record(z.string(), z.unknown())
    .refine(
      (value) => JSON.stringify(value).length <= maxChars,
      `must serialise to at most ${maxChars} characters of JSON`,
    );
}

/** A finite float; JSON cannot carry NaN, but 1e400 parses to Infinity and is refused here. */
export const FiniteNumber = z.number().refine(Number.isFinite, "must be a finite number");
