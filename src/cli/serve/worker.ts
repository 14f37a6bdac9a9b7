/**
 * One worker of `ioready serve --workers N`: a Server on its own Epoll. Its
 * bytes go to the main thread (whole chunks, in order), which alone writes
 * stdout: in one message per 64 KiB, or per millisecond when less comes (a
 * message per epoll batch cost 2-3x the CPU per client message, measured).
 * Messages from main: 'pause', 'resume' (stdout's backpressure) and 'stop'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Logger } from '../log';
import { ByteQueue } from '../writer';
import type { WorkerData } from './serve';
import { Server } from './server';

const d = workerData as WorkerData;
const port = parentPort!;
const log = new Logger(`ioready.serve.w${d.id}`, d.logLevel);
const pending = new ByteQueue();
const POST_SIZE = 1 << 16;
const POST_DELAY_MS = 1;
let timer: NodeJS.Timeout | null = null;

function post(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (pending.length === 0) return;
  const bytes = new Uint8Array(pending.length);
  bytes.set(pending.buf.subarray(pending.start, pending.end));
  pending.clear();
  port.postMessage(bytes.buffer, [bytes.buffer]);
}

const server = new Server({
  listenFd: d.listenFd,
  exclusive: d.exclusive,
  log,
  sink: (buf, off, len) => {
    pending.push(buf, off, len);
    if (pending.length >= POST_SIZE) post();
    else timer ??= setTimeout(post, POST_DELAY_MS);
  },
  escape: d.escape,
  counter: d.counter,
  maxConnections: d.maxConnections,
});

port.on('message', (m: unknown) => {
  if (m === 'pause') server.pause();
  else if (m === 'resume') server.resume();
  else if (m === 'stop') {
    server.stop();
    post();
    log.flush();
    port.postMessage('stopped');
  }
});
server.start();
