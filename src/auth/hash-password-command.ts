import { hashPassword, MAX_PASSWORD_LENGTH } from './password.js';

/** Input streams as `process.stdin` is one: isTTY is set when a person types at a terminal. */
export type PasswordInput = NodeJS.ReadableStream & { isTTY?: boolean };

// UTF-8 takes up to 4 bytes a character; the length check on the decoded text is the real limit.
const MAX_INPUT_BYTES = MAX_PASSWORD_LENGTH * 4 + 2;

/** `wscam hash-password`: reads one password on stdin, prints its hash line; returns the exit code. */
export async function runHashPasswordCommand(
  stdin: PasswordInput,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  if (stdin.isTTY) stderr.write('Password (shown as typed; or pipe it in), then Enter:\n');
  const input = await readInput(stdin, MAX_INPUT_BYTES, Boolean(stdin.isTTY));
  if (!input.ok) {
    stderr.write(`hash-password: ${input.error}\n`);
    return 2;
  }
  const password = input.text.replace(/\r?\n$/, '');
  const problem = passwordProblem(password);
  if (problem) {
    stderr.write(`hash-password: ${problem}\n`);
    return 2;
  }
  stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

function passwordProblem(password: string): string | undefined {
  if (password.length === 0) return 'empty password';
  if (password.length > MAX_PASSWORD_LENGTH) return `password longer than ${MAX_PASSWORD_LENGTH} characters`;
  // a login form cannot send a line break, so one here is a mistake (e.g. a file of several lines)
  if (/[\r\n]/.test(password)) return 'password must be a single line';
  return undefined;
}

type InputResult = { ok: true; text: string } | { ok: false; error: string };

// Reads to the end, or only the first line at a terminal (which never ends by itself), capped at maxBytes.
function readInput(stream: NodeJS.ReadableStream, maxBytes: number, firstLineOnly: boolean): Promise<InputResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: InputResult): void => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.pause();
      resolve(result);
    };
    const decoded = (): string => Buffer.concat(chunks).toString('utf8');
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      size += bytes.length;
      if (firstLineOnly && bytes.includes(0x0a)) {
        const text = decoded();
        finish({ ok: true, text: text.slice(0, text.indexOf('\n') + 1) });
      } else if (size > maxBytes) {
        finish({ ok: false, error: `password longer than ${MAX_PASSWORD_LENGTH} characters` });
      }
    };
    const onEnd = (): void => finish({ ok: true, text: decoded() });
    const onError = (error: Error): void => finish({ ok: false, error: `cannot read stdin: ${error.message}` });
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}
