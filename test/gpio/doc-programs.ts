// The `ts vm` blocks of the docs (programs that need the VM's devices: GPIO chips, an
// input device), and one way to run one as a user would: a .ts file of its own under
// .tmp/, through tsx, its stdout and stderr collected. test/docs.test.ts type-checks
// these blocks on the host; test/gpio/docs.test.ts and streams-docs.test.ts run them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { failsafe, ROOT, TSX } from '../helpers';

/** The `ts vm` blocks of a Markdown file, each with the `text output` block after it. */
export function vmBlocks(file: string): Array<{ line: number; code: string; output: string }> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const re = /^```ts vm\n([\s\S]*?)^```\n\s*^```text output\n([\s\S]*?)^```$/gm;
  return [...text.matchAll(re)].map((m) => ({ line: text.slice(0, m.index).split('\n').length, code: m[1]!, output: m[2]! }));
}

/** A doc program running: what it printed so far, and its exit. */
export interface DocProgram {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Its exit code (null if killed by a signal), once its pipes are closed. */
  readonly exited: Promise<number | null>;
}

/**
 * Run `code` as the file `name` in a fresh directory under .tmp/, give it to `use`, and
 * whatever happens: kill it if it still runs (SIGKILL at `limitMs` x IOREADY_TEST_SLOW
 * too), wait for its exit, remove the directory.
 */
export async function withDocProgram<T>(name: string, code: string, limitMs: number, use: (p: DocProgram) => Promise<T>): Promise<T> {
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'doc-'));
  try {
    const file = path.join(dir, name);
    fs.writeFileSync(file, code);
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, [...TSX, file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), failsafe(limitMs));
    try {
      return await use({ child, stdout: () => stdout, stderr: () => stderr, exited });
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
