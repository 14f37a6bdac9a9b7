/**
 * How a started Epoll hears from the kernel, chosen once at load time:
 *
 * - 'uv' (Node): libuv watches the epoll fd with a uv_poll_t on the event
 *   loop's own thread (native/watch.c). No extra thread.
 * - 'thread' (Bun, whose libuv functions abort; Deno, whose uv_poll emulation
 *   is not level-triggered, so a batch left unread would never be reported
 *   again): a thread blocked in poll() hands each batch to JS through a
 *   thread-safe function and waits until JS has processed it
 *   (native/thread_watch.c).
 *
 * Both deliver the same `callback(n)` into the same Int32Array, so Epoll does
 * not know which one runs. `IOREADY_WATCH=thread` (or `uv`) in the environment
 * overrides the choice, which lets the thread path be tested under Node.
 */
import { invalidArgValue } from '../internal/errors';
import { native, type NativeHandle, type ThreadWatch } from '../internal/binding';

/** The operations Epoll needs from a bridge; results are 0 or -errno, as the binding's. */
export interface WatchBridge {
  /** Start delivering batches of `epfd`'s events to `callback(n)` (n pairs in `out`, or -errno). */
  start(h: NativeHandle, epfd: number, out: Int32Array, callback: (n: number) => void, rounds: number): number;
  /** Stop delivering; no callback runs afterwards. Idempotent. */
  stop(h: NativeHandle): number;
  /** Whether a started watch keeps the process alive (remembered while stopped). */
  ref(h: NativeHandle, ref: boolean): number;
  /** Stop, then close the handle's epoll fd. */
  close(h: NativeHandle): number;
}

const uvBridge: WatchBridge = {
  start: (h, _epfd, out, callback, rounds) => native.watchStart(h, out, callback, rounds),
  stop: (h) => native.watchStop(h),
  ref: (h, ref) => native.watchRef(h, ref),
  close: (h) => native.handleClose(h),
};

interface ThreadState {
  refd: boolean;
  watch: ThreadWatch | null;
}
const threads = new WeakMap<NativeHandle, ThreadState>();

function threadState(h: NativeHandle): ThreadState {
  let s = threads.get(h);
  if (s === undefined) threads.set(h, (s = { refd: true, watch: null }));
  return s;
}

const threadBridge: WatchBridge = {
  start(h, epfd, out, callback) {
    const s = threadState(h);
    if (s.watch !== null) return 0;
    const w = native.threadWatchStart(epfd, out, callback, s.refd);
    if (typeof w === 'number') return w;
    s.watch = w;
    return 0;
  },
  stop(h) {
    const s = threads.get(h);
    if (s?.watch) {
      const w = s.watch;
      s.watch = null;
      native.threadWatchStop(w); // joins the thread: nothing reads the epoll fd afterwards
    }
    return 0;
  },
  ref(h, ref) {
    const s = threadState(h);
    s.refd = ref;
    if (s.watch !== null) native.threadWatchRef(s.watch, ref);
    return 0;
  },
  close(h) {
    threadBridge.stop(h); // before the fd is closed, so the thread never polls a reused number
    threads.delete(h);
    return native.handleClose(h);
  },
};

function chooseMode(): 'uv' | 'thread' {
  const forced = process.env.IOREADY_WATCH;
  if (forced === 'uv' || forced === 'thread') return forced;
  if (forced !== undefined && forced !== '') {
    throw invalidArgValue('IOREADY_WATCH', forced, "must be 'uv' or 'thread'");
  }
  // Bun's uv_* abort; Deno's uv_poll reports a readable fd once and then not
  // again while it stays readable (not level-triggered as libuv's is).
  const v = process.versions as Record<string, string | undefined>;
  return typeof v.bun === 'string' || typeof v.deno === 'string' ? 'thread' : 'uv';
}

/** Which bridge this process uses: 'uv' (Node) or 'thread' (Bun, Deno). */
export const watchMode: 'uv' | 'thread' = chooseMode();

/** The bridge Epoll uses. */
export const watchBridge: WatchBridge = watchMode === 'thread' ? threadBridge : uvBridge;
