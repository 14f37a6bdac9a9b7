/**
 * Passing fds over Unix sockets (SCM_RIGHTS, unix(7)): the receiver gets new
 * fds for the same open files, sockets, pipes, ptys... as Python's
 * `socket.send_fds`/`socket.recv_fds`, and interoperable with them.
 */
import { check, checkAgain, invalidArgType, invalidArgValue, outOfRange } from '../internal/errors';
import { native } from '../internal/binding';
import { type FdLike, toFd, validateInt, validateView } from '../internal/validate';
import { AF_UNIX, SOCK_STREAM } from './fd';

const { SOL_SOCKET, SO_TYPE, SO_DOMAIN } = native.socketConstants as Readonly<Record<'SOL_SOCKET' | 'SO_TYPE' | 'SO_DOMAIN', number>>;

/** The most fds one message carries (the kernel's SCM_MAX_FD). */
export const SCM_MAX_FD = 253;

/** What `recvFds` received. */
export interface RecvFdsResult {
  /** Data bytes received into the buffer (0 at end of stream). */
  bytes: number;
  /** The fds received, each new in this process and close-on-exec; yours to close. */
  fds: number[];
  /**
   * More fds came than `maxFds` (MSG_CTRUNC): those beyond it were closed, by the
   * kernel or here, and are gone — never leaked, never delivered later.
   */
  truncated: boolean;
}

const fdsIn = new Int32Array(SCM_MAX_FD);
const fdsOut = new Int32Array(SCM_MAX_FD);
const info = new Int32Array(2);
const optOut = new Int32Array(1);

/**
 * Send `data` with the fds `fds` attached (sendmsg with SCM_RIGHTS; MSG_NOSIGNAL,
 * so a vanished peer is EPIPE, never SIGPIPE). The fds stay open here: the peer
 * gets its own. On a stream socket they travel with the first byte sent; if fewer
 * bytes went than given, send the rest with `send()`.
 * @param sock a Unix socket (stream, datagram or seqpacket); with fds, one
 *   getsockopt (two with empty data) checks it will carry them
 * @param data at least one byte on a stream socket (the kernel silently drops fds
 *   sent with no data there, so that is refused)
 * @param fds up to 253 (SCM_MAX_FD) open fds; may be empty
 * @returns bytes sent (the fds went with them), or `null` if the socket is full
 *   (EAGAIN): then nothing, fds included, was sent
 * @throws TypeError ERR_INVALID_ARG_TYPE for a sock that is not an FdLike, data that
 *   is not an ArrayBufferView, fds not an array of integers; RangeError
 *   ERR_OUT_OF_RANGE for a negative fd, more than 253 fds, or empty data with fds
 *   on a stream socket; TypeError ERR_INVALID_ARG_VALUE for fds on a socket that is
 *   not a Unix socket (the kernel would drop them); SystemError ENOTSOCK (not a
 *   socket), EBADF (an fd in fds is not open), EPIPE, ENOTCONN, ETOOMANYREFS...
 */
export function sendFds(sock: FdLike, data: ArrayBufferView, fds: readonly number[]): number | null {
  const fd = toFd(sock, 'sock');
  validateView(data, 'data');
  if (!Array.isArray(fds)) throw invalidArgType('fds', 'an array of file descriptors', fds);
  if (fds.length > SCM_MAX_FD) throw outOfRange('fds.length', `<= ${SCM_MAX_FD}`, fds.length);
  for (let i = 0; i < fds.length; i++) fdsIn[i] = validateInt(fds[i], `fds[${i}]`, 0, 0x7fffffff);
  // Read-only checks, where the kernel would send the data and silently drop the fds:
  // a socket of another family (an IP datagram socket takes SCM_RIGHTS and ignores
  // it), and a stream socket with no data byte.
  if (fds.length > 0) {
    if (sockopt(fd, SO_DOMAIN) !== AF_UNIX) throw invalidArgValue('sock', sock, 'is not a Unix socket (only AF_UNIX carries fds)');
    if (data.byteLength === 0 && sockopt(fd, SO_TYPE) === SOCK_STREAM) {
      throw outOfRange('data.byteLength', '>= 1 when fds are sent on a stream socket (the kernel drops fds sent with no data)', 0);
    }
  }
  return checkAgain(native.sendFds(fd, data, 0, data.byteLength, fdsIn, fds.length), 'sendmsg');
}

/** An int socket option; a failure (ENOTSOCK, EBADF) is reported as sendmsg's. */
function sockopt(fd: number, option: number): number {
  check(native.getsockopt(fd, SOL_SOCKET, option, optOut), 'sendmsg');
  return optOut[0]!;
}

/**
 * Receive data and any fds attached to it (recvmsg with SCM_RIGHTS). The fds
 * arrive close-on-exec (MSG_CMSG_CLOEXEC). At most `maxFds` are kept: if more
 * came, the rest are closed and `truncated` is true. On a datagram or seqpacket
 * socket, a message longer than `buf` is cut (the rest is lost), as recv(2) does:
 * `truncated` speaks of fds only.
 * @param sock a Unix socket
 * @param buf where the data goes (its whole length is offered)
 * @param maxFds how many fds to accept, 0-253
 * @returns `{ bytes, fds, truncated }`, or `null` if nothing is there (EAGAIN)
 * @throws TypeError ERR_INVALID_ARG_TYPE for a sock that is not an FdLike, a buf that
 *   is not an ArrayBufferView, a maxFds that is not an integer; RangeError
 *   ERR_OUT_OF_RANGE for maxFds outside 0-253 or a negative fd;
 *   SystemError EBADF, ENOTSOCK, EMFILE (the fds were closed by the kernel)...
 */
export function recvFds(sock: FdLike, buf: ArrayBufferView, maxFds: number): RecvFdsResult | null {
  const fd = toFd(sock, 'sock');
  validateView(buf, 'buf');
  const max = validateInt(maxFds, 'maxFds', 0, SCM_MAX_FD);
  const bytes = checkAgain(native.recvFds(fd, buf, 0, buf.byteLength, max, fdsOut, info), 'recvmsg');
  if (bytes === null) return null;
  return { bytes, fds: Array.from(fdsOut.subarray(0, info[0]!)), truncated: info[1] === 1 };
}
