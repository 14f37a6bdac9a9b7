// Every code block in README.md and docs/*.md runs, as a user would run it:
// `ts` through tsx (and type-checked with tsc against the built types), `mjs`
// as an ES module and `js`/`cjs` as CommonJS with plain node, each importing
// 'ioready' by name (the package's self-reference: this checkout's dist/). A
// block must exit 0 with nothing on stderr, and print exactly its `text output`
// block. The conventions are in docs/development.md ("Documentation whose code runs").
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { failsafe, ROOT, TSX, walkFiles } from './helpers';

/** Languages the test runs, and the file extension each is written to. */
const RUN: Readonly<Record<string, string>> = { ts: '.ts', mjs: '.mjs', js: '.cjs', cjs: '.cjs' };
/** Languages shown and never run: commands, terminal sessions, usage text. */
const SHOWN = new Set(['sh', 'console', 'text']);

interface Block {
  file: string; // relative to ROOT
  line: number; // 1-based line of the opening fence
  lang: string;
  flags: string[];
  code: string;
  output?: string; // the `text output` block right after it
}

/** What is wrong with the docs' blocks (an untagged block, an output block without its program). */
const problems: string[] = [];

/** The fenced blocks of a Markdown file, with the `text output` block attached to the block it follows. */
function blocks(file: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const found: Array<Block & { end: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[i]!); i++) {
      body.push(lines[i]!.startsWith(indent) ? lines[i]!.slice(indent.length) : lines[i]!);
    }
    if (i === lines.length) problems.push(`${file}:${start + 1}: the block is never closed`);
    const [lang = '', ...flags] = info.trim().split(/\s+/).filter(Boolean);
    found.push({ file, line: start + 1, lang, flags, code: body.join('\n') + '\n', end: i });
  }
  const result: Block[] = [];
  for (let k = 0; k < found.length; k++) {
    const b = found[k]!;
    const where = `${file}:${b.line}`;
    if (b.lang === 'text' && b.flags.includes('output')) {
      const prev = found[k - 1];
      const between = prev ? lines.slice(prev.end + 1, b.line - 1) : ['(none)'];
      if (prev && RUN[prev.lang] && !prev.flags.includes('fragment') && between.every((l) => l.trim() === '')) {
        result[result.length - 1]!.output = b.code;
      } else {
        problems.push(`${where}: a \`text output\` block must come right after a runnable block`);
      }
      continue;
    }
    if (b.lang === '') problems.push(`${where}: a code block needs an info string (ts, mjs, js, ts fragment, sh, console, text...)`);
    else if (!RUN[b.lang] && !SHOWN.has(b.lang)) problems.push(`${where}: unknown info string '${b.lang}'`);
    result.push(b);
  }
  return result;
}

const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const ALL = DOCS.flatMap(blocks);
const RUNNABLE = ALL.filter((b) => RUN[b.lang] && !b.flags.includes('fragment'));

/** The newest mtime under dir of files matching re. */
function newest(dir: string, re: RegExp): number {
  let t = 0;
  for (const f of walkFiles(dir)) if (re.test(path.basename(f))) t = Math.max(t, fs.statSync(f).mtimeMs);
  return t;
}

/** `…` in an expected output stands for any run of characters within a line. */
function matches(actual: string, expected: string): boolean {
  const re = expected.split('…').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^\\n]*');
  return new RegExp(`^${re}$`).test(actual);
}

/** Run one file with node; resolve with its exit and output. */
function run(args: string[], cwd: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    // A block that never ends is a failure, not a hang of the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), failsafe(60000));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let dir = '';
const fileOf = new Map<Block, string>();

// At load, not in root-level before()/after() hooks: Node 20.0's runner never runs those.
{
  // dist/ is what 'ioready' resolves to: build it when missing or older than src/.
  const built = fs.existsSync(path.join(ROOT, 'dist', 'index.mjs')) ? fs.statSync(path.join(ROOT, 'dist', 'index.mjs')).mtimeMs : 0;
  if (built < newest(path.join(ROOT, 'src'), /\.ts$/)) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  }
  // Under the repository, with no package.json of its own: `import 'ioready'` is the
  // package's self-reference, through its exports map, as from node_modules/ioready.
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'docs-'));
  for (const b of RUNNABLE) {
    const name = `${b.file.replace(/[/.]/g, '_')}_${b.line}${RUN[b.lang]}`;
    fs.writeFileSync(path.join(dir, name), b.code);
    fileOf.set(b, name);
  }
}
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

describe('the docs: every block is tagged', () => {
  test('README.md and docs/*.md have runnable blocks, and no untagged one', () => {
    assert.deepEqual(problems, []);
    assert.ok(RUNNABLE.filter((b) => b.file === 'README.md').length >= 4, 'the README shows the API in runnable examples');
    assert.ok(RUNNABLE.some((b) => b.lang === 'ts') && RUNNABLE.some((b) => b.lang === 'mjs') && RUNNABLE.some((b) => b.lang === 'js'));
  });

  test('a block that names an example file is that file', () => {
    const named = RUNNABLE.filter((b) => /^\/\/ examples\/\S+\n/.test(b.code));
    assert.ok(named.length >= 1, "the README's opening example is examples/wait-for-pipe.ts");
    // The code without its leading comment lines, the file's import path as a user writes it.
    const code = (s: string): string => s.replace(/^(\/\/.*\n)+/, '').replaceAll("'../src/index'", "'ioready'");
    for (const b of named) {
      const file = /^\/\/ (examples\/\S+)\n/.exec(b.code)![1]!;
      assert.equal(code(b.code), code(fs.readFileSync(path.join(ROOT, file), 'utf8')), `${b.file}:${b.line} differs from ${file}`);
    }
  });
});

describe('the docs: every runnable block runs', () => {
  for (const b of RUNNABLE) {
    // `ts vm`: a program that needs GPIO chips; type-checked here, run in the VM by test/gpio/docs.test.ts.
    const skip = b.flags.includes('vm') && 'needs GPIO chips: runs in the VM (test/gpio/docs.test.ts)';
    test(`${b.file}:${b.line} (${b.lang})`, { skip }, async () => {
      const name = fileOf.get(b)!;
      const r = await run(b.lang === 'ts' ? [...TSX, name] : [name], dir);
      const shown = `\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
      assert.equal(r.signal, null, `killed by ${r.signal} (did it end by itself?)${shown}`);
      assert.equal(r.code, 0, `exit code ${r.code}${shown}`);
      assert.equal(r.stderr, '', `wrote to stderr${shown}`);
      if (b.output === undefined) {
        assert.equal(r.stdout, '', `prints, but has no \`text output\` block after it${shown}`);
      } else {
        assert.ok(matches(r.stdout, b.output), `stdout is not the \`text output\` block:\n--- expected\n${b.output}${shown}`);
      }
    });
  }

  test('the TypeScript blocks type-check (tsc --strict against the built types)', () => {
    const ts = RUNNABLE.filter((b) => b.lang === 'ts').map((b) => fileOf.get(b)!);
    assert.ok(ts.length > 0);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'ESNext.Disposable'],
        module: 'commonjs',
        moduleResolution: 'node10',
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        esModuleInterop: true,
        baseUrl: '.',
        paths: { ioready: [path.join(ROOT, 'dist', 'index.d.ts')] },
      },
      files: ts,
    };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { stdio: 'pipe' });
    } catch (err) {
      // tsc names the extracted file and its line: say the Markdown file's line instead.
      const where = new Map(RUNNABLE.map((b) => [fileOf.get(b)!, b]));
      const out = ((err as { stdout?: Buffer }).stdout?.toString() ?? String(err)).replace(
        /\S*?([^/\s]+\.ts)\((\d+),(\d+)\)/g,
        (m, name: string, row: string) => (where.has(name) ? `${where.get(name)!.file}:${where.get(name)!.line + Number(row)}` : m),
      );
      assert.fail(`tsc found errors in the docs' TypeScript blocks:\n${out}`);
    }
  });
});
