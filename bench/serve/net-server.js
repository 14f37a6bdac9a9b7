// Node's net module doing what `ioready serve` does: every byte each client
// sends, to stdout (a file or /dev/null in the benchmark: written synchronously).
'use strict';
const fs = require('node:fs');
const net = require('node:net');

const server = net.createServer((socket) => {
  socket.on('data', (chunk) => {
    let off = 0;
    while (off < chunk.length) off += fs.writeSync(1, chunk, off);
  });
  socket.on('error', () => {});
  socket.on('end', () => socket.end());
});
server.listen({ port: Number(process.argv[2] ?? 9999), host: '127.0.0.1', backlog: 4096 }, () => {
  process.stderr.write(`Listening on 127.0.0.1:${server.address().port}\n`);
});
