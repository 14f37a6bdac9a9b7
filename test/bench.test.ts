// `npm run bench -- --quick` end to end on one cheap workload: the children
// run, the medians, ratios and targets come out, results.json and results.svg
// are written where --out says. No speed is asserted (that is the bench's job).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
