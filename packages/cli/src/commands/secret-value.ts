import { CliError, ExitCode } from "../exit-codes.js";

/** Reads all of stdin; one trailing newline (from `echo` or a file) is not part of the value. */
async function readStdin(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(
  question: string,
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WritableStream,
): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(question);
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const char of text) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003") return done(new CliError("Cancelled", ExitCode.failure));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on("data", onData);
  });
}

/**
 * The value of `secrets set` and `secrets rotate`: from --value, else piped stdin, else a hidden
 * prompt. It never appears in an error message.
 */
export async function secretValueFrom(
  flag: string | undefined,
  stdin: NodeJS.ReadStream = process.stdin,
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<string> {
  const value =
    flag ?? (stdin.isTTY ? await promptHidden("Secret value: ", stdin, stderr) : await readStdin(stdin));
  if (value === "") {
    throw new CliError(
      "The secret value is empty: give --value, pipe it on stdin, or type it at the prompt",
      ExitCode.usage,
    );
  }
  return value;
}
