/**
 * ioready: I/O readiness for Node.js - epoll, poll, select and selectors with
 * Python's semantics, and delivery on the Node event loop.
 *
 * One line per concept module; internals (errors' factories, validators, the
 * binding, the selectors' shared bases BaseSelectorImpl and PollLikeSelector,
 * which CPython keeps private too) stay unexported.
 */
export * from './readiness/constants';
export type { SystemError } from './internal/errors';
export type { FdLike } from './internal/validate';
export { Epoll, type EpollEvent, type EpollListener, type EpollOptions, type StartOptions, type WaitOptions } from './readiness/epoll';
export {
  AF_INET, AF_INET6, AF_UNIX, O_CLOEXEC, O_NONBLOCK, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM,
  close, pipe, read, setBlocking, socketpair, write,
  type FdOptions, type SocketPairOptions,
} from './fd/fd';
export * from './fd/socket';
export { Poll, type PollEvent } from './readiness/poll';
export { FD_SETSIZE, select } from './readiness/select';
export {
  BaseSelector, EVENT_READ, EVENT_WRITE, SelectorKey,
  type SelectorData, type SelectorEvent, type SelectorListener, type SelectorMap,
} from './selectors/base';
export { DefaultSelector, EpollSelector, PollSelector, SelectSelector } from './selectors/backends';
export { EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, EVENTFD_MAX, eventfd, eventfdRead, eventfdWrite, type EventfdOptions } from './fd/eventfd';
export * from './fd/timerfd';
export * from './fd/inotify';
export { ioctl } from './fd/ioctl';
export {
  Chip, findLine, gpioChips, openChip, requestLines,
  type ChipInfo, type FoundLine, type InfoEvent, type LineInfo,
} from './gpio/chip';
export { LineRequest, type EdgeEvent, type Line, type LinesConfig, type RequestConfig } from './gpio/request';
export type { Bias, Direction, Drive, Edge, EventClock, LineSettings } from './gpio/settings';
export type { EventIteratorOptions } from './gpio/events';
