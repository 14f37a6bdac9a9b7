/**
 * Event flags with the kernel's values (read from the system headers by the
 * addon, not typed in), and their names.
 */
import { native } from '../internal/binding';
import { invalidArgType } from '../internal/errors';
import { maskNames, nameTable, type NameTable } from '../internal/names';
import { lookupName } from '../internal/validate';

const k = native.epollConstants;

// epoll(7)
/** The fd is readable (data, a connection to accept, or end of file). */
export const EPOLLIN: number = k.EPOLLIN!;
/** Urgent or exceptional data: TCP out-of-band data, a GPIO edge, a changed sysfs attribute. */
export const EPOLLPRI: number = k.EPOLLPRI!;
/** The fd is writable. */
export const EPOLLOUT: number = k.EPOLLOUT!;
/** An error on the fd; always reported, whether asked for or not. */
export const EPOLLERR: number = k.EPOLLERR!;
/** Hang-up: both directions are closed; always reported, whether asked for or not. */
export const EPOLLHUP: number = k.EPOLLHUP!;
/** Normal data is readable (the same as EPOLLIN for most fds). */
export const EPOLLRDNORM: number = k.EPOLLRDNORM!;
/** Priority band data is readable. */
export const EPOLLRDBAND: number = k.EPOLLRDBAND!;
/** Normal data can be written (the same as EPOLLOUT for most fds). */
export const EPOLLWRNORM: number = k.EPOLLWRNORM!;
/** Priority band data can be written. */
export const EPOLLWRBAND: number = k.EPOLLWRBAND!;
/** Unused by Linux; defined for completeness. */
export const EPOLLMSG: number = k.EPOLLMSG!;
/** The peer closed its sending side (stream sockets); comes with EPOLLIN on a half-close. */
export const EPOLLRDHUP: number = k.EPOLLRDHUP!;
/** Wake only one of several epoll instances watching the same fd; only at register time, never with EPOLLONESHOT. */
export const EPOLLEXCLUSIVE: number = k.EPOLLEXCLUSIVE!;
/** Hold a wakeup source while the event is pending (needs CAP_BLOCK_SUSPEND; silently ignored otherwise). */
export const EPOLLWAKEUP: number = k.EPOLLWAKEUP!;
/** Report once, then disarm until re-armed with modify(). */
export const EPOLLONESHOT: number = k.EPOLLONESHOT!;
/** Bit 31, as an unsigned value: `(events & EPOLLET) !== 0` tests it. */
export const EPOLLET: number = k.EPOLLET!;

// poll(2)
/** poll(2): there is data to read. */
export const POLLIN: number = k.POLLIN!;
/** poll(2): urgent or exceptional data. */
export const POLLPRI: number = k.POLLPRI!;
/** poll(2): writing will not block. */
export const POLLOUT: number = k.POLLOUT!;
/** poll(2): an error condition (output only). */
export const POLLERR: number = k.POLLERR!;
/** poll(2): hang-up (output only). */
export const POLLHUP: number = k.POLLHUP!;
/** poll(2): the fd is not open (output only). */
export const POLLNVAL: number = k.POLLNVAL!;
/** poll(2): normal data is readable. */
export const POLLRDNORM: number = k.POLLRDNORM!;
/** poll(2): priority band data is readable. */
export const POLLRDBAND: number = k.POLLRDBAND!;
/** poll(2): normal data can be written. */
export const POLLWRNORM: number = k.POLLWRNORM!;
/** poll(2): priority band data can be written. */
export const POLLWRBAND: number = k.POLLWRBAND!;
/** poll(2): unused by Linux. */
export const POLLMSG: number = k.POLLMSG!;
/** poll(2): the peer closed its sending side. */
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
  const tbl = typeof which === 'string' ? lookupName(TABLES, which) : undefined;
  if (tbl === undefined) throw invalidArgType('table', "'epoll' or 'poll'", which);
  return maskNames(mask, tbl); // EPOLLET (bit 31) included
}
