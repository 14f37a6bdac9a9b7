/**
 * Event flags with the kernel's values (read from the system headers by the
 * addon, not typed in), and their names.
 */
import { native } from './native';
import { invalidArgType } from './errors';
import { maskNames, nameTable, type NameTable } from './bitnames';

const k = native.epollConstants;

// epoll(7)
export const EPOLLIN: number = k.EPOLLIN!;
export const EPOLLPRI: number = k.EPOLLPRI!;
export const EPOLLOUT: number = k.EPOLLOUT!;
export const EPOLLERR: number = k.EPOLLERR!;
export const EPOLLHUP: number = k.EPOLLHUP!;
export const EPOLLRDNORM: number = k.EPOLLRDNORM!;
export const EPOLLRDBAND: number = k.EPOLLRDBAND!;
export const EPOLLWRNORM: number = k.EPOLLWRNORM!;
export const EPOLLWRBAND: number = k.EPOLLWRBAND!;
export const EPOLLMSG: number = k.EPOLLMSG!;
export const EPOLLRDHUP: number = k.EPOLLRDHUP!;
export const EPOLLEXCLUSIVE: number = k.EPOLLEXCLUSIVE!;
export const EPOLLWAKEUP: number = k.EPOLLWAKEUP!;
export const EPOLLONESHOT: number = k.EPOLLONESHOT!;
/** Bit 31, as an unsigned value: `(events & EPOLLET) !== 0` tests it. */
export const EPOLLET: number = k.EPOLLET!;

// poll(2)
export const POLLIN: number = k.POLLIN!;
export const POLLPRI: number = k.POLLPRI!;
export const POLLOUT: number = k.POLLOUT!;
export const POLLERR: number = k.POLLERR!;
export const POLLHUP: number = k.POLLHUP!;
export const POLLNVAL: number = k.POLLNVAL!;
export const POLLRDNORM: number = k.POLLRDNORM!;
export const POLLRDBAND: number = k.POLLRDBAND!;
export const POLLWRNORM: number = k.POLLWRNORM!;
export const POLLWRBAND: number = k.POLLWRBAND!;
export const POLLMSG: number = k.POLLMSG!;
export const POLLRDHUP: number = k.POLLRDHUP!;

/** The largest batch one `poll()` returns (`maxEvents` above it is clamped). */
export const EPOLL_MAX_EVENTS: number = k.EPOLL_BATCH_CAP!;


type Table = NameTable;

const table = (names: readonly string[]): Table => nameTable(k, names);

const TABLES: Record<'epoll' | 'poll', Table> = {
  epoll: table(['EPOLLIN', 'EPOLLPRI', 'EPOLLOUT', 'EPOLLERR', 'EPOLLHUP', 'EPOLLRDNORM', 'EPOLLRDBAND',
    'EPOLLWRNORM', 'EPOLLWRBAND', 'EPOLLMSG', 'EPOLLRDHUP', 'EPOLLEXCLUSIVE', 'EPOLLWAKEUP', 'EPOLLONESHOT', 'EPOLLET']),
  poll: table(['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDNORM', 'POLLRDBAND',
    'POLLWRNORM', 'POLLWRBAND', 'POLLMSG', 'POLLRDHUP']),
};

/**
 * Names of the bits set in `mask`, lowest bit first:
 * `eventNames(EPOLLIN | EPOLLOUT)` is `['EPOLLIN', 'EPOLLOUT']`. A bit with no
 * name comes back in hex (`'0x1000000'`); an unknown bit never throws.
 * @param mask  an event mask (signed or unsigned 32-bit)
 * @param which the names to use: 'epoll' (default) or 'poll'
 * @throws TypeError ERR_INVALID_ARG_TYPE if mask is not an integer, or which is not 'epoll' | 'poll'
 */
export function eventNames(mask: number, which: 'epoll' | 'poll' = 'epoll'): string[] {
  if (typeof mask !== 'number' || !Number.isInteger(mask)) throw invalidArgType('mask', 'an integer', mask);
  const tbl = TABLES[which];
  if (tbl === undefined) throw invalidArgType('table', "'epoll' or 'poll'", which);
  return maskNames(mask, tbl); // EPOLLET (bit 31) included
}
