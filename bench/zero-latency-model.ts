/**
 * An OpenAI-compatible chat-completions server that answers at once from precomputed streams: a
 * tool call to `current_time` first, then a final text once a tool result is in the conversation.
 * It counts the time it spends per request, so the runtime's overhead can be told apart from it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const chunk = (id: string, delta: unknown, finish: string | null = null) =>
  frame({
    id,
    object: "chat.completion.chunk",
    created: 0,
    model: "bench",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
const usage = (id: string) =>
  frame({
    id,
    object: "chat.completion.chunk",
    created: 0,
    model: "bench",
    choices: [],
    usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
  });

const TOOL_CALL =
  chunk("b1", { role: "assistant", content: "" }) +
  chunk("b1", {
    tool_calls: [
      { index: 0, id: "call_1", type: "function", function: { name: "current_time", arguments: "{}" } },
    ],
  }) +
  chunk("b1", {}, "tool_calls") +
  usage("b1") +
  "data: [DONE]\n\n";
const ANSWER =
  chunk("b2", { role: "assistant", content: "" }) +
  chunk("b2", { content: "It is now." }) +
  chunk("b2", {}, "stop") +
  usage("b2") +
  "data: [DONE]\n\n";

export interface ZeroLatencyModel {
  url: string;
  requests(): number;
  /** Milliseconds spent handling requests so far (body read to response end). */
  busyMs(): number;
  close(): Promise<void>;
}

export async function startZeroLatencyModel(): Promise<ZeroLatencyModel> {
  let requests = 0;
  let busy = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const started = performance.now();
      requests += 1;
      const body = Buffer.concat(chunks).toString("utf8");
      // A tool result in the conversation means the tool ran: answer; otherwise ask for the tool.
      const answered = body.includes('"role":"tool"');
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(answered ? ANSWER : TOOL_CALL);
      busy += performance.now() - started;
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    busyMs: () => busy,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
