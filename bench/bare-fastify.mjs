// Baseline server: Fastify hello-world with the logger off, as plain JS so it starts like the runtime
// (compiled JS under plain `node`). Listens on a free port and prints one ready line on stdout.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));

const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${JSON.stringify({ event: "ready", url: address })}\n`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
