import { z } from "zod";

/**
 * Text that can be stored anywhere we store text. Postgres rejects NUL characters and a lone UTF-16
 * surrogate would be silently replaced on the way to UTF-8, so both are refused at the edge instead
 * of surfacing as a 500 or as quietly changed data.
 */
export function storableText(max: number, min = 0) {
  return z
    .string()
    .min(min, min === 1 ? "must not be empty" : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters")
    .refine((s) => s.isWellFormed(), "must be well-formed Unicode (no lone surrogates)");
}

/** A single-line label: storable text without control characters. */
export function labelText(max: number) {
  return storableText(max, 1).refine(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    (s) => !/[\u0000-\u001f\u007f]/.test(s),
    "must not contain control characters or line breaks",
  );
}

/**
 * User-chosen names (agent id, secret name, server name, collection name). The contract recommends
 * `[A-Za-z0-9._:@-]{1,128}`; names made only of dots are refused too, because `..` in a URL path is
 * a traversal, not a name.
 */
export const NAME_PATTERN = /^(?!\.+$)[A-Za-z0-9._:@-]{1,128}$/;
export const ResourceName = z
  .string()
  .regex(NAME_PATTERN, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ - (and not only dots)");

export const Timestamp = z.iso.datetime({ offset: true }).describe("RFC 3339 timestamp, UTC");
