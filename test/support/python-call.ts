import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { TEST_API_KEY } from "./runtime.js";

/**
 * A request as the Python SDK 0.3.x sends it (python-requests headers; bodyless calls without
 * Content-Type; DELETE may carry a JSON body), answered as status, content type and raw text.
 */
export function pythonCall(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TEST_API_KEY,
) {
  const url = new URL(`${base}${path}`);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = {
    "User-Agent": "python-requests/2.32.3",
    "Accept-Encoding": "gzip, deflate",
    Accept: "*/*",
    Connection: "keep-alive",
    "Content-Length": String(payload?.length ?? 0),
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (payload) headers["Content-Type"] = "application/json";
  return new Promise<{ status: number; contentType: string; text: string; json: () => unknown }>(
    (resolve, reject) => {
      const req = request(url, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          let raw = Buffer.concat(chunks);
          if (res.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
          const text = raw.toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            text,
            json: () => JSON.parse(text),
          });
        });
      });
      req.on("error", reject);
      req.end(payload);
    },
  );
}
