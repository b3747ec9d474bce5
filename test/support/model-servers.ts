import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Local model servers that speak the real wire formats of OpenAI's chat completions and
 * Anthropic's messages API, streaming (server-sent events) and not, so the runtime's production
 * provider code talks HTTP to them. What they answer is scripted per request.
 */

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface ScriptedTurn {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  inputTokens?: number;
  outputTokens?: number;
  /** Answer with this HTTP status and body instead (an upstream error). */
  failStatus?: number;
  /** The body of that failure; by default a generic error. */
  failBody?: string;
  /** Wait this long before answering (a slow model). */
  delayMs?: number;
}

export interface ModelRequest {
  body: Record<string, unknown>;
  headers: IncomingMessage["headers"];
  /** The user's first message, as text. */
  input: string;
  /** The tool results sent back so far, in order, as text. */
  toolResults: string[];
}

export type Script = (request: ModelRequest) => ScriptedTurn | Promise<ScriptedTurn>;

export interface ModelServer {
  /** The API base to configure: http://127.0.0.1:PORT/v1 */
  readonly url: string;
  readonly requests: ModelRequest[];
  setScript(script: Script): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((part) => (part as { text?: string }).text ?? JSON.stringify(part)).join("")
      : JSON.stringify(content);

function openAiView(body: Record<string, unknown>): Pick<ModelRequest, "input" | "toolResults"> {
  const messages = (body.messages ?? []) as { role: string; content: unknown }[];
  return {
    input: textOf(messages.find((m) => m.role === "user")?.content ?? ""),
    toolResults: messages.filter((m) => m.role === "tool").map((m) => textOf(m.content)),
  };
}

function anthropicView(body: Record<string, unknown>): Pick<ModelRequest, "input" | "toolResults"> {
  const messages = (body.messages ?? []) as { role: string; content: unknown }[];
  const first = messages.find((m) => m.role === "user");
  const toolResults: string[] = [];
  for (const message of messages) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content as { type: string; content?: unknown }[]) {
      if (part.type === "tool_result") toolResults.push(textOf(part.content));
    }
  }
  const firstText = Array.isArray(first?.content)
    ? ((first.content as { type: string; text?: string }[]).find((p) => p.type === "text")?.text ?? "")
    : textOf(first?.content ?? "");
  return { input: firstText, toolResults };
}

const sse = (response: ServerResponse, data: unknown, event?: string) => {
  response.write(
    `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`,
  );
};

function writeOpenAi(
  response: ServerResponse,
  turn: ScriptedTurn,
  model: string,
  stream: boolean,
  id: string,
): void {
  const calls = turn.toolCalls ?? [];
  const usage = {
    prompt_tokens: turn.inputTokens ?? 10,
    completion_tokens: turn.outputTokens ?? 5,
    total_tokens: (turn.inputTokens ?? 10) + (turn.outputTokens ?? 5),
  };
  const finish = calls.length > 0 ? "tool_calls" : "stop";
  const created = Math.floor(Date.now() / 1000);
  if (!stream) {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        id,
        object: "chat.completion",
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: turn.text ?? null,
              ...(calls.length > 0
                ? {
                    tool_calls: calls.map((call, index) => ({
                      id: `call_${id}_${index}`,
                      type: "function",
                      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
                    })),
                  }
                : {}),
            },
            finish_reason: finish,
          },
        ],
        usage,
      }),
    );
    return;
  }
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunk = (delta: unknown, finishReason: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  sse(response, chunk({ role: "assistant", content: "" }));
  // Text in several pieces, as a real stream delivers it.
  for (const piece of (turn.text ?? "").match(/.{1,8}/gsu) ?? []) sse(response, chunk({ content: piece }));
  calls.forEach((call, index) => {
    const args = JSON.stringify(call.arguments);
    sse(
      response,
      chunk({
        tool_calls: [
          {
            index,
            id: `call_${id}_${index}`,
            type: "function",
            function: { name: call.name, arguments: "" },
          },
        ],
      }),
    );
    const half = Math.ceil(args.length / 2);
    for (const part of [args.slice(0, half), args.slice(half)]) {
      if (part) sse(response, chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
    }
  });
  sse(response, chunk({}, finish));
  sse(response, { id, object: "chat.completion.chunk", created, model, choices: [], usage });
  sse(response, "[DONE]");
  response.end();
}

function writeAnthropic(
  response: ServerResponse,
  turn: ScriptedTurn,
  model: string,
  stream: boolean,
  id: string,
): void {
  const calls = turn.toolCalls ?? [];
  const stop = calls.length > 0 ? "tool_use" : "end_turn";
  const usage = { input_tokens: turn.inputTokens ?? 10, output_tokens: turn.outputTokens ?? 5 };
  const content = [
    ...(turn.text ? [{ type: "text", text: turn.text }] : []),
    ...calls.map((call, index) => ({
      type: "tool_use",
      id: `toolu_${id}_${index}`,
      name: call.name,
      input: call.arguments,
    })),
  ];
  if (!stream) {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        id,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: stop,
        stop_sequence: null,
        usage,
      }),
    );
    return;
  }
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  sse(
    response,
    {
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
      },
    },
    "message_start",
  );
  content.forEach((block, index) => {
    if (block.type === "text") {
      sse(
        response,
        { type: "content_block_start", index, content_block: { type: "text", text: "" } },
        "content_block_start",
      );
      for (const piece of (block as { text: string }).text.match(/.{1,8}/gsu) ?? []) {
        sse(
          response,
          { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } },
          "content_block_delta",
        );
      }
    } else {
      const use = block as { id: string; name: string; input: unknown };
      sse(
        response,
        {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: use.id, name: use.name, input: {} },
        },
        "content_block_start",
      );
      sse(
        response,
        {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(use.input) },
        },
        "content_block_delta",
      );
    }
    sse(response, { type: "content_block_stop", index }, "content_block_stop");
  });
  sse(
    response,
    {
      type: "message_delta",
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
    "message_delta",
  );
  sse(response, { type: "message_stop" }, "message_stop");
  response.end();
}

async function startModelServer(kind: "openai" | "anthropic", initial: Script): Promise<ModelServer> {
  let script = initial;
  let counter = 0;
  const requests: ModelRequest[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = request.url ?? "";
      const expected = kind === "openai" ? "/v1/chat/completions" : "/v1/messages";
      if (request.method !== "POST" || path !== expected) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: `no route ${request.method} ${path}` } }));
        return;
      }
      const body = JSON.parse(await readBody(request)) as Record<string, unknown>;
      const view = kind === "openai" ? openAiView(body) : anthropicView(body);
      const modelRequest: ModelRequest = { body, headers: request.headers, ...view };
      requests.push(modelRequest);
      const turn = await script(modelRequest);
      if (turn.delayMs) await new Promise((resolve) => setTimeout(resolve, turn.delayMs));
      if (turn.failStatus) {
        response.writeHead(turn.failStatus, { "content-type": "application/json" });
        response.end(
          turn.failBody ?? JSON.stringify({ error: { type: "api_error", message: "scripted failure" } }),
        );
        return;
      }
      counter += 1;
      const id = `${kind === "openai" ? "chatcmpl" : "msg"}_${counter}`;
      const model = String(body.model);
      const stream = body.stream === true;
      if (kind === "openai") writeOpenAi(response, turn, model, stream, id);
      else writeAnthropic(response, turn, model, stream, id);
    })().catch((error: unknown) => {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: (error as Error).message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setScript: (next) => {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const startOpenAiServer = (script: Script) => startModelServer("openai", script);
export const startAnthropicServer = (script: Script) => startModelServer("anthropic", script);
