/**
 * The bench's vocabulary, shared by the runner, the chart and the test: the
 * workloads, the peers, the targets, and the shape of results.json.
 */

export type WorkloadId = 'pingpong' | 'fanin';
export type PeerId =
  | 'ioready-start'
  | 'ioready-start-rounds1'
  | 'ioready-start-range'
  | 'ioready-wait'
  | 'ioready-events'
  | 'ioready-thread'
  | 'ioready-poll'
  | 'fivdi'
  | 'net-socket'
  | 'python'
  | 'c';

export interface Workload {
  id: WorkloadId;
  title: string;
  unit: string;
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'pingpong', title: 'ping-pong: two pipes, one byte bouncing', unit: 'round trips/s' },
  { id: 'fanin', title: 'fan-in: 1,000 ready pipes, each event reads the byte and writes it back', unit: 'events/s' },
];

export interface Peer {
  id: PeerId;
  label: string;
  /** One line on how the peer works. */
  about: string;
  /** Run only when named with --peers. */
  optional?: boolean;
}

/** In the order tables and charts show them: ioready first, the limit last. */
export const PEERS: readonly Peer[] = [
  {
    id: 'ioready-start',
    label: 'ioready start()',
    about: 'Epoll.start(), default options: uv_poll on the epoll fd, up to 64 batches per wake-up',
  },
  {
    id: 'ioready-start-rounds1',
    label: 'ioready start({rounds:1})',
    about: "start() with one batch per event-loop wake-up (libuv's own way; the default before #12)",
  },
  {
    id: 'ioready-start-range',
    label: 'ioready start(), (off, len)',
    about: 'start() with the handler as users write it: read(fd, buf, 0, 1), write(fd, buf, 0, 1), a Map from fd to partner',
    optional: true,
  },
  { id: 'ioready-wait', label: 'ioready wait()', about: 'await Epoll.wait() in a loop: one promise per batch' },
  { id: 'ioready-events', label: 'ioready events()', about: 'for await over Epoll.events(): one promise per batch' },
  {
    id: 'ioready-thread',
    label: 'ioready start(), thread',
    about: "start() through the thread bridge (Bun's and Deno's; IOREADY_WATCH=thread): a thread in poll() hands over each batch",
    optional: true,
  },
  { id: 'ioready-poll', label: 'ioready poll()', about: 'synchronous Epoll.poll() in a loop (blocks the thread)' },
  { id: 'python', label: 'Python select.epoll', about: 'select.epoll().poll() in a loop, os.read/os.write' },
  { id: 'net-socket', label: 'Node net.Socket', about: "a net.Socket per pipe end, 'data' events (fan-in refills each pipe)" },
  { id: 'fivdi', label: 'npm epoll (fivdi)', about: 'a thread in epoll_wait(maxevents = 1), one hop to JS per event' },
  { id: 'c', label: 'C epoll_wait', about: 'epoll_wait in a C loop, cc -O2: the limit' },
];

export interface Target {
  workload: WorkloadId;
  peer: PeerId;
  versus: PeerId;
  /** peer's median / versus's median must be at least this. */
  atLeast: number;
}

/** The issues' targets (#3, #12), ratios of medians from the same run. */
export const TARGETS: readonly Target[] = [
  { workload: 'pingpong', peer: 'ioready-start', versus: 'python', atLeast: 1.0 },
  { workload: 'pingpong', peer: 'ioready-start', versus: 'net-socket', atLeast: 2 },
  { workload: 'pingpong', peer: 'ioready-start', versus: 'fivdi', atLeast: 4 },
  { workload: 'pingpong', peer: 'ioready-start', versus: 'c', atLeast: 0.6 },
  { workload: 'pingpong', peer: 'ioready-poll', versus: 'c', atLeast: 0.7 },
  // wait() per batch within 1.5x of start(): a batch is one event in ping-pong.
  { workload: 'pingpong', peer: 'ioready-wait', versus: 'ioready-start', atLeast: 1 / 1.5 },
  { workload: 'fanin', peer: 'ioready-start', versus: 'c', atLeast: 0.6 },
  { workload: 'fanin', peer: 'ioready-start', versus: 'net-socket', atLeast: 5 },
];

export interface TargetCheck extends Target {
  /** undefined when a peer was not measured. */
  ratio: number | undefined;
  /** The same ratio of rates per CPU-second. */
  cpuRatio: number | undefined;
  met: boolean | null;
}

export interface PeerInfo extends Peer {
  available: boolean;
  reason?: string;
  version?: string;
  /** argv prefix of the child (not written to results.json). */
  command?: string[];
  /** Extra environment of the child. */
  env?: Record<string, string>;
}

/** One child process. */
export interface Run {
  peer: PeerId;
  workload: WorkloadId;
  rep: number;
  count?: number;
  seconds?: number;
  /** CPU time of the process (user + system, all threads) in the window. */
  cpuSeconds?: number;
  /** count / seconds */
  rate?: number;
  /** The two parts of cpuSeconds. */
  userSeconds?: number;
  systemSeconds?: number;
  /** count / cpuSeconds: less disturbed by other load on the machine. */
  cpuRate?: number;
  rssMB?: number;
  error?: string;
}

export interface PeerSummary {
  median: number;
  min: number;
  max: number;
  runs: number;
  /** Median of count / cpuSeconds. */
  cpuMedian: number;
  /** Median share of the CPU time spent in the kernel (systemSeconds / cpuSeconds). */
  kernelShare?: number;
}

export interface WorkloadResult {
  id: WorkloadId;
  title: string;
  unit: string;
  peers: Partial<Record<PeerId, PeerSummary>>;
  /** ratios[a][b] = median(a) / median(b) */
  ratios: Partial<Record<PeerId, Partial<Record<PeerId, number>>>>;
}

export interface BenchResults {
  version: 1;
  date: string;
  elapsedSeconds: number;
  quick: boolean;
  options: { reps: number; warmupMs: number; durationMs: number; fanIn: number };
  /** What was measured: compiled or source, which addon, which commit. */
  ioready: { code: string; addon: string; commit: string | undefined };
  machine: {
    cpu: string;
    cores: number;
    memGB: number;
    kernel: string;
    node: string;
    python: string | undefined;
    cc: string | undefined;
    loadavg: number[];
    loadavgAfter?: number[];
  };
  peers: Omit<PeerInfo, 'command'>[];
  workloads: Partial<Record<WorkloadId, WorkloadResult>>;
  targets: TargetCheck[];
  runs: Run[];
}

/** A rate for people: 1.23 M/s, 456 k/s. */
export function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(r >= 1e7 ? 1 : 2)} M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(r >= 1e5 ? 0 : 1)} k`;
  return r.toFixed(0);
}

