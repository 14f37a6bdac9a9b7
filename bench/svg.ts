/**
 * results.svg: a bar chart of a bench run, drawn by hand (no dependencies).
 * One panel per workload, one horizontal bar per peer (the median), a whisker
 * for the spread across runs, the value, and ioready start()'s ratio to each
 * peer; under each panel, the issue's targets, met or not.
 */
import { formatRate, PEERS, type BenchResults, type PeerId, type WorkloadResult } from './model';

const WIDTH = 980;
const LABEL_RIGHT = 220; // labels end here
const BAR_X = 230;
const BAR_MAX = 470; // the longest bar
const RATIO_RIGHT = WIDTH - 24;
const ROW = 30;
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

const COLOURS: Record<PeerId, string> = {
  'ioready-start': '#1f5fbf',
  'ioready-start-rounds1': '#2f6fb0',
  'ioready-start-range': '#2a68b8',
  'ioready-wait': '#3a74c8',
  'ioready-events': '#4279cc',
  'ioready-thread': '#4a7fd0',
  'ioready-poll': '#6f9be0',
  python: '#d9a521',
  'net-socket': '#3c9a5f',
  fivdi: '#d0642c',
  c: '#7a7a7a',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

function labelOf(id: string): string {
  return PEERS.find((p) => p.id === id)?.label ?? id;
}

/** One panel; returns its SVG and height. */
function panel(res: BenchResults, w: WorkloadResult, top: number): [string, number] {
  const out: string[] = [];
  const ids = PEERS.map((p) => p.id).filter((id) => w.peers[id] !== undefined);
  const max = Math.max(...ids.map((id) => w.peers[id]!.max));
  const scale = (v: number): number => (v / max) * BAR_MAX;
  let y = top + 22;
  out.push(text(24, y, w.title, 'font-size="18" font-weight="bold"'));
  y += 20;
  out.push(text(24, y, `${w.unit}, higher is better; bars: median of ${res.options.reps} run(s), whiskers: min to max`, 'font-size="12" fill="#555"'));
  y += 22;
  const hasStart = w.peers['ioready-start'] !== undefined;
  if (hasStart) out.push(text(RATIO_RIGHT, y - 4, 'ioready start() ÷ peer', 'font-size="12" fill="#555" text-anchor="end"'));
  // Light gridlines at round values, so lengths can be read off.
  const step = niceStep(max / 4);
  for (let v = step; v <= max * 1.0001; v += step) {
    const x = BAR_X + scale(v);
    out.push(`<line x1="${x.toFixed(1)}" y1="${y}" x2="${x.toFixed(1)}" y2="${y + ids.length * ROW}" stroke="#e4e4e4"/>`);
    out.push(text(x, y + ids.length * ROW + 13, formatRate(v), 'font-size="10" fill="#888" text-anchor="middle"'));
  }
  for (const id of ids) {
    const s = w.peers[id]!;
    const mid = y + ROW / 2;
    const bold = id === 'ioready-start' ? ' font-weight="bold"' : '';
    out.push(text(LABEL_RIGHT, mid + 5, labelOf(id), `font-size="14" text-anchor="end"${bold}`));
    const bw = Math.max(2, scale(s.median));
    out.push(`<rect x="${BAR_X}" y="${(mid - 10).toFixed(1)}" width="${bw.toFixed(1)}" height="20" fill="${COLOURS[id]}" rx="2"/>`);
    if (s.runs > 1) {
      const x1 = BAR_X + scale(s.min);
      const x2 = BAR_X + scale(s.max);
      out.push(`<path d="M${x1.toFixed(1)} ${mid - 5}v10M${x1.toFixed(1)} ${mid}H${x2.toFixed(1)}M${x2.toFixed(1)} ${mid - 5}v10" stroke="#222" stroke-width="1.2" fill="none"/>`);
    }
    const vx = BAR_X + Math.max(bw, scale(s.max)) + 8;
    const value = `${formatRate(s.median)}/s`;
    out.push(text(vx, mid + 5, value, `font-size="13"${bold}`));
    // Per CPU-second of the peer's own process: what other load on the machine disturbs least.
    out.push(text(vx + value.length * 8 + 8, mid + 5, `(${formatRate(s.cpuMedian)} per CPU-s)`, 'font-size="11" fill="#777"'));
    if (hasStart) {
      const r = w.ratios['ioready-start']![id]!;
      const shown = id === 'ioready-start' ? '1×' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
      out.push(text(RATIO_RIGHT, mid + 5, shown, `font-size="14" text-anchor="end"${bold}`));
    }
    y += ROW;
  }
  y += 32;
  const targets = res.targets.filter((t) => t.workload === w.id);
  if (targets.length > 0) {
    out.push(text(24, y, 'Targets:', 'font-size="13" font-weight="bold"'));
    let x = 92;
    for (const t of targets) {
      const who = t.peer === 'ioready-start' ? '' : `${labelOf(t.peer)} `;
      const mark = t.met === null ? '?' : t.met ? '✓' : '✗';
      const colour = t.met === null ? '#777' : t.met ? '#1d7a35' : '#c0282d';
      const got = t.ratio === undefined ? 'not measured' : `${t.ratio.toFixed(2)}×`;
      const s = `${mark} ${who}≥ ${+t.atLeast.toFixed(2)}× ${labelOf(t.versus)} (${got})`;
      const width = s.length * 7.1 + 18;
      if (x + width > WIDTH - 16) {
        x = 92;
        y += 19;
      }
      out.push(text(x, y, s, `font-size="13" fill="${colour}"`));
      x += width;
    }
    y += 10;
  }
  return [out.join('\n'), y - top + 14];
}

/** 1, 2 or 5 times a power of ten, near `x`. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** The whole chart as an SVG document. */
export function renderChart(res: BenchResults): string {
  const parts: string[] = [];
  let y = 8;
  for (const w of Object.values(res.workloads)) {
    if (w === undefined) continue;
    const [svg, h] = panel(res, w, y);
    parts.push(svg);
    y += h;
    parts.push(`<line x1="16" y1="${y - 4}" x2="${WIDTH - 16}" y2="${y - 4}" stroke="#ccc"/>`);
  }
  const m = res.machine;
  const notes = [
    `Each run is a fresh process; peers interleaved round-robin; ${res.options.durationMs} ms measured after ${res.options.warmupMs} ms of warm-up.`,
    'Fan-in: pipes never drained (level-triggered), except for net.Socket, which must read them and refills each pipe.',
    `${m.cpu}, ${m.cores} cores, ${m.kernel}; Node ${m.node}${m.python ? `, ${m.python}` : ''}; ${res.date.slice(0, 16).replace('T', ' ')} UTC.`,
    `A shared machine (load average ${m.loadavg[0]} before, ${m.loadavgAfter?.[0] ?? '?'} after): read the ratios, not the absolute numbers;`,
    "'per CPU-s' counts events per second of the process's own CPU time (all threads), which other load disturbs less.",
  ];
  y += 14;
  for (const n of notes) {
    parts.push(text(24, y, n, 'font-size="11" fill="#555"'));
    y += 16;
  }
  const height = Math.ceil(y + 6);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
