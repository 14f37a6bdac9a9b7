// `npm run bench -- --quick` end to end on one cheap workload: the children
// run, the medians, ratios and targets come out, results.json and results.svg
// are written where --out says. No speed is asserted (that is the bench's job).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import type { BenchResults } from '../bench/model';
import { failsafe, ROOT, TSX } from './helpers';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-bench-'));
process.on('exit', () => fs.rmSync(out, { recursive: true, force: true })); // not a root-level after(): Node 20.0 never runs those

function bench(...args: string[]): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...TSX, 'bench/run.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: failsafe(60_000),
  }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
}

test('bench --quick: ping-pong through start(), net.Socket and C, results.json and results.svg', () => {
  const peers = ['ioready-start', 'net-socket', 'c'];
  const r = bench('--quick', '--workloads', 'pingpong', '--peers', peers.join(','), '--duration', '100', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ping-pong/);
  assert.match(r.stdout, /Targets/);

  const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as BenchResults;
  assert.equal(res.version, 1);
  assert.equal(res.quick, true);
  assert.deepEqual(res.options, { reps: 1, warmupMs: 50, durationMs: 100, fanIn: 1000 });
  assert.equal(typeof res.machine.cpu, 'string');
  assert.ok(res.machine.cores >= 1);
  assert.deepEqual(Object.keys(res.workloads), ['pingpong']);
  assert.deepEqual(res.peers.map((p) => p.id), peers);

  // The C peer needs a compiler; every other one must have run.
  const measured = res.peers.filter((p) => p.available).map((p) => p.id);
  for (const p of res.peers) if (!p.available) assert.equal(p.id, 'c', `${p.id} skipped: ${p.reason}`);
  assert.equal(res.runs.length, measured.length);
  for (const run of res.runs) {
    assert.equal(run.error, undefined, `${run.peer}: ${run.error}`);
    assert.equal(run.workload, 'pingpong');
    assert.ok(run.count! > 0 && run.seconds! >= 0.09, JSON.stringify(run));
    assert.equal(run.rate, run.count! / run.seconds!);
  }

  const w = res.workloads.pingpong!;
  assert.deepEqual(Object.keys(w.peers), measured);
  for (const id of measured) {
    const s = w.peers[id]!;
    assert.ok(s.median > 0 && s.min === s.median && s.max === s.median && s.runs === 1);
    assert.equal(w.ratios[id]![id], 1);
  }
  const startVsNet = w.ratios['ioready-start']!['net-socket']!;
  assert.ok(Math.abs(startVsNet * w.ratios['net-socket']!['ioready-start']! - 1) < 1e-9);

  // Only ping-pong targets; those naming an unmeasured peer say so.
  assert.ok(res.targets.length >= 4);
  for (const t of res.targets) {
    assert.equal(t.workload, 'pingpong');
    const known = measured.includes(t.peer) && measured.includes(t.versus);
    assert.equal(t.met === null, !known, JSON.stringify(t));
    if (known) assert.equal(t.met, t.ratio! >= t.atLeast);
  }

  const svg = fs.readFileSync(path.join(out, 'results.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /ioready start\(\)/);
  assert.match(svg, /Node net.Socket/);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal((svg.match(/<rect [^>]*rx="2"/g) ?? []).length, measured.length, 'one bar per measured peer');
});

test('bench: a bad command line is a usage error, before any child runs', () => {
  const r = bench('--peers', 'ioready-start,nonesuch', '--out', out);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown peer 'nonesuch'/);
  assert.match(r.stderr, /usage: npm run bench -- pipes/);
  const r2 = bench('--reps', '0');
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /--reps wants an integer >= 1, not '0'/);
});

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
