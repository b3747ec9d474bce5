// A replica that misbehaves on purpose, to test the supervisor. It speaks the replica protocol
// (ready, then heartbeats over IPC) and then does what REPLICA_SCRIPT says:
//   hog: grows its memory by 16 MB every 50 ms, without bound;
//   crash: prints a few lines and exits with code 3 (again and again: a crash loop);
//   ignore-sigterm: starts a child in its process group, and neither of them exits on SIGTERM;
//   silent: says it is ready, then never sends a heartbeat;
//   spin: keeps one CPU core busy.
import { spawn } from "node:child_process";

const script = process.env.REPLICA_SCRIPT ?? "";
const replica = process.env.SYMBIONT_REPLICA_INDEX ?? "0";

if (script === "crash") {
  console.log(`replica ${replica} starting`);
  console.error("fatal: the configuration file says no");
  process.exit(3);
}

process.send?.({ type: "ready", url: "http://127.0.0.1:1/invoke" });
if (script !== "silent") setInterval(() => process.send?.({ type: "heartbeat" }), 200);
if (script === "silent") setInterval(() => {}, 1000);
if (script === "spin")
  setTimeout(() => {
    for (;;) {}
  }, 100);
process.on("disconnect", () => process.exit(0));

if (script === "hog") {
  const held = [];
  setInterval(() => {
    held.push(Buffer.alloc(16 * 1024 * 1024, 1));
    console.log(`holding ${held.length * 16} MB`);
  }, 50);
}

if (script === "ignore-sigterm") {
  process.on("SIGTERM", () => console.log("SIGTERM ignored"));
  const child = spawn(
    process.execPath,
    ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"],
    {
      stdio: "ignore",
    },
  );
  console.log(`child ${child.pid} started`);
}
