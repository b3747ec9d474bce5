/** Reads server-sent events from `url` until `enough` says so, the stream ends, or `timeoutMs` passes. */
export async function collectEvents(
  url: string,
  headers: Record<string, string>,
  options: { enough?: (events: { event: string; data: unknown }[]) => boolean; timeoutMs?: number } = {},
): Promise<{ status: number; events: { event: string; data: unknown }[]; ended: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  const events: { event: string; data: unknown }[] = [];
  let ended = false;
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    if (!response.ok || !response.body) return { status: response.status, events, ended: true };
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += value;
      let split = buffer.indexOf("\n\n");
      while (split >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        split = buffer.indexOf("\n\n");
        const lines = block.split("\n");
        const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
        const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
      if (options.enough?.(events)) break;
    }
    controller.abort();
    return { status: response.status, events, ended };
  } catch (error) {
    if ((error as Error).name === "AbortError") return { status: 200, events, ended };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
