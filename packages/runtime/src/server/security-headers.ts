/**
 * Sent with every answer of the API. The API only ever answers JSON, so nothing it sends should be
 * rendered, framed, sniffed as another type, cached, or given a referrer.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
});
