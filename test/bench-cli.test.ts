// `npm run bench`'s command line (bench/all.ts and each part's): help, unknown
// options, parts by name, and the committed results left alone by anything but a
// full run. A file of its own so that it runs beside bench.test.ts's quick run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { failsafe, ROOT, TSX } from './helpers';

// The command line of `npm run bench` (bench/all.ts): help, unknown options, parts by
// name, and the committed results left alone by anything but a full run.
function benchAll(...args: string[]): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...TSX, 'bench/all.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: failsafe(60_000),
  }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
}

/** The committed results, as they are now: each file's hash and mtime ('' if absent). */
function committed(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['results.json', 'results.svg', 'serve-results.json', 'streams-results.json', 'handoff-results.json', 'gpio-results.json']) {
    const p = path.join(ROOT, 'bench', f);
    out[f] = fs.existsSync(p) ? `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')} ${fs.statSync(p).mtimeMs}` : '';
  }
  return out;
}

test('bench --help prints the parts and the options, runs nothing, writes nothing', () => {
  const before = committed();
  const r = benchAll('--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: npm run bench -- \[PART\.\.\.\] \[options\]/);
  assert.match(r.stdout, /^ {2}pipes /m);
  assert.match(r.stdout, /^ {2}serve /m);
  assert.match(r.stdout, /^ {2}streams /m);
  assert.match(r.stdout, /^ {2}handoff /m);
  assert.match(r.stdout, /^ {2}gpio .*\(only when named\)$/m);
  assert.match(r.stdout, /^Parts \(default: pipes, serve, streams, handoff, in this order\)/m);
  assert.match(r.stdout, /--quick/);
  for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, `wider than 100 columns: ${line}`);
  // A part's own help, through the same command.
  const p = benchAll('serve', '--help');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^usage: npm run bench -- serve \[options\]/);
  assert.match(p.stdout, /--out DIR/);
  for (const part of ['streams', 'handoff', 'gpio']) {
    const h = benchAll(part, '--help');
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, new RegExp(`^usage: npm run bench -- ${part} \\[options\\]`));
    assert.match(h.stdout, /^ {2}--quick /m);
    assert.match(h.stdout, /^ {2}--out DIR /m);
    assert.doesNotMatch(h.stdout, /^== /m, 'a part\'s help has no heading: nothing runs');
    for (const line of h.stdout.split('\n')) assert.ok(line.length <= 100, `wider than 100 columns: ${line}`);
  }
  assert.match(benchAll('streams', '--help').stdout, /--cases a,b {9}of: read, write, idle, exit/);
  assert.deepEqual(committed(), before);
});

test('bench: an unknown part or option is a usage error (exit 2) before anything runs', () => {
  const before = committed();
  const bogus = benchAll('--bogus');
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /^bench: unknown option --bogus/);
  assert.match(bogus.stderr, /usage: npm run bench/);
  const part = benchAll('nonesuch');
  assert.equal(part.status, 2);
  assert.match(part.stderr, /unknown part 'nonesuch' \(parts: pipes, serve/);
  // A part's option without the part named: refused, not a run of every part.
  const reps = benchAll('--reps', '1');
  assert.equal(reps.status, 2);
  assert.match(reps.stderr, /--reps.*name it first/);
  // Options reach the part named, which refuses what it does not know.
  const pipes = benchAll('pipes', '--quick', '--bogus');
  assert.equal(pipes.status, 2, pipes.stderr);
  assert.match(pipes.stderr, /^bench: unknown option --bogus\nusage: npm run bench -- pipes/m);
  const serve = benchAll('serve', '--reps', 'x');
  assert.equal(serve.status, 2, serve.stderr);
  assert.match(serve.stderr, /^bench serve: --reps wants an integer >= 0, not 'x'\nusage: npm run bench -- serve/m);
  // streams and handoff: the same, and nothing measured (no table, no results written).
  const streams = benchAll('streams', '--bogus');
  assert.equal(streams.status, 2, streams.stderr);
  assert.match(streams.stderr, /^bench streams: unknown option --bogus\nusage: npm run bench -- streams/m);
  assert.doesNotMatch(streams.stdout, /through a FIFO|ONE repetition|wrote/);
  const cases = benchAll('streams', '--quick', '--cases', 'read,nonesuch');
  assert.equal(cases.status, 2, cases.stderr);
  assert.match(cases.stderr, /^bench streams: unknown case 'nonesuch'/m);
  const handoff = benchAll('handoff', '--window');
  assert.equal(handoff.status, 2, handoff.stderr);
  assert.match(handoff.stderr, /^bench handoff: --window needs a value\nusage: npm run bench -- handoff/m);
  assert.doesNotMatch(handoff.stdout, /passing 1 fd|wrote/);
  // gpio: refused on the host, before any build or VM boot.
  const gpio = benchAll('gpio', '--peers', 'c,nonesuch');
  assert.equal(gpio.status, 2, gpio.stderr);
  assert.match(gpio.stderr, /^bench gpio: unknown peer 'nonesuch'\nusage: npm run bench -- gpio/m);
  assert.doesNotMatch(gpio.stdout, /gpio bench:|wrote/);
  assert.deepEqual(committed(), before);
});

test('bench streams --quick, one tiny case: ratios in 100 columns, one run is no verdict, results under bench/.build', () => {
  const before = committed();
  const scratch = path.join(ROOT, 'bench', '.build', 'streams', 'streams-results.json');
  fs.rmSync(scratch, { force: true });
  const r = benchAll('streams', '--quick', '--cases', 'read', '--mb', '1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^== streams =+$/m);
  assert.match(r.stdout, /ONE repetition/);
  assert.match(r.stdout, /samples, not verdicts/);
  assert.match(r.stdout, /^\| net\.Socket\(\{ fd \}\) \| [\d.]+ \| [\d.]+ \| [\d.]+x \| [\d.]+x \|$/m);
  assert.match(r.stdout, /^\| ioready stream \| [\d.]+ \| [\d.]+ \| 1\.00x \| 1\.00x \|$/m);
  assert.match(r.stdout, /(holds|misses) in 1 run/);
  assert.doesNotMatch(r.stdout, /\b(NOT )?met$/m);
  assert.match(r.stdout, /wrote bench\/\.build\/streams\/streams-results\.json\n/);
  assert.match(r.stdout, /committed bench\/streams-results\.json is left as it was/);
  for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, `wider than 100 columns: ${line}`);
  const res = JSON.parse(fs.readFileSync(scratch, 'utf8')) as { quick: boolean; reps: number; bytes: number; cases: string[]; read: Array<{ peer: string; gbps: number; runs: number }> };
  assert.equal(res.quick, true);
  assert.equal(res.reps, 1);
  assert.equal(res.bytes, 1024 * 1024);
  assert.deepEqual(res.cases, ['read']);
  assert.deepEqual(res.read.map((x) => x.peer), ['c', 'net', 'fs', 'ioready']);
  for (const row of res.read) assert.ok(row.gbps > 0 && row.runs === 1, JSON.stringify(row));
  assert.deepEqual(committed(), before);
});

test('bench pipes --quick: readable in 100 columns, says one run is no verdict, leaves the committed results alone', () => {
  const before = committed();
  const r = benchAll('pipes', '--quick', '--from-src', '--workloads', 'pingpong', '--peers', 'ioready-start,c', '--duration', '50');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^== pipes =+$/m);
  assert.match(r.stdout, /ONE repetition: samples, not verdicts/);
  assert.match(r.stdout, /(above|below) \(1 run\)|not measured/);
  assert.doesNotMatch(r.stdout, /\| (met|NOT MET) \|/);
  assert.match(r.stdout, /wrote bench\/\.build\/pipes\/results\.json/);
  assert.match(r.stdout, /committed bench\/results\.json and results\.svg are left as they were/);
  for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, `wider than 100 columns: ${line}`);
  assert.deepEqual(committed(), before);
});
