/** Any fd as a Node stream, on readiness (CONTRACT.md "Streams"). */
export { createReadStream, FdReadStream, type ReadStreamOptions } from './read';
export { createWriteStream, FdWriteStream, type WriteStreamOptions } from './write';
export { createDuplex, FdDuplex, type DuplexOptions } from './duplex';
export type { FdStreamOptions } from './core';
