/**
 * ioready: I/O readiness for Node.js - epoll, poll, select and selectors with
 * Python's semantics, and delivery on the Node event loop.
 *
 * One line per concept module; internals (errors' factories, validators, the
 * binding) stay unexported.
 */
export * from './constants';
export type { SystemError } from './errors';
export type { FdLike } from './validate';
export { Epoll, type EpollEvent, type EpollListener, type EpollOptions, type StartOptions, type WaitOptions } from './epoll';
export {
  AF_INET, AF_INET6, AF_UNIX, O_CLOEXEC, O_NONBLOCK, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM,
  close, pipe, read, setBlocking, socketpair, write,
  type FdOptions, type SocketPairOptions,
} from './fd';
export * from './socket';
export { Poll, type PollEvent } from './poll';
export { FD_SETSIZE, select } from './select';
export {
  BaseSelector, BaseSelectorImpl, DefaultSelector, EVENT_READ, EVENT_WRITE, EpollSelector, PollLikeSelector,
  PollSelector, SelectSelector, SelectorKey,
  type Poller, type SelectorData, type SelectorEvent, type SelectorListener, type SelectorMap,
} from './selectors';
export { EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, EVENTFD_MAX, eventfd, eventfdRead, eventfdWrite, type EventfdOptions } from './eventfd';
export * from './timerfd';
export * from './inotify';
