/**
 * One worker of `ioready serve --workers N`: a Server on its own Epoll. The
 * bytes of each epoll batch go to the main thread in one message (whole
 * chunks, in order), which alone writes stdout. Messages from main: 'pause',
 * 'resume' (stdout's backpressure) and 'stop'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Logger } from './log';
import { ByteQueue } from './output';
import type { WorkerData } from './serve';
import { Server } from './server';

const d = workerData as WorkerData;
const port = parentPort!;
const log = new Logger(`ioready.serve.w${d.id}`, d.logLevel);
const pending = new ByteQueue();
let scheduled = false;

function post(): void {
  scheduled = false;
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
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(post);
    }
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
