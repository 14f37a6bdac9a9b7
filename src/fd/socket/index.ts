/** Sockets: constants, the address types, and the calls. */
export * from './constants';
export type { AcceptResult, RecvFromResult, SocketAddress, SocketFamily, SocketFamilyInput, SocketType } from './address';
export * from './calls';
