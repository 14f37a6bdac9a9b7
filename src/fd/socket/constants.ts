/**
 * Socket constants with the kernel's values (read from the system headers by
 * the addon): option levels and options, MSG_* flags, SHUT_* and SOMAXCONN.
 */
import { native } from '../../internal/binding';

const k = native.socketConstants;

/** Option level for the socket itself: the SO_* options. */
export const SOL_SOCKET: number = k.SOL_SOCKET!;
/** SO_REUSEADDR: allow binding a port still in TIME_WAIT (set it before `bind`). */
export const SO_REUSEADDR: number = k.SO_REUSEADDR!;
/** SO_REUSEPORT: let several sockets (each with it set) bind the same address and port; the kernel spreads connections and datagrams among them. */
export const SO_REUSEPORT: number = k.SO_REUSEPORT!;
/** SO_RCVBUF: the receive buffer size in bytes (the kernel doubles the value set, and reads back the doubled value). */
export const SO_RCVBUF: number = k.SO_RCVBUF!;
/** SO_SNDBUF: the send buffer size in bytes (the kernel doubles the value set, and reads back the doubled value). */
export const SO_SNDBUF: number = k.SO_SNDBUF!;
/** SO_ERROR (read-only): the pending error, 0 or an errno number, cleared by reading it; how a non-blocking `connect` reports its outcome. */
export const SO_ERROR: number = k.SO_ERROR!;
/** SO_KEEPALIVE: send keep-alive probes on an idle connection (timing: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT). */
export const SO_KEEPALIVE: number = k.SO_KEEPALIVE!;
/** SO_LINGER: seconds `close` waits for queued data to be sent (0: `close` resets the connection at once); `setsockopt(fd, SOL_SOCKET, SO_LINGER, false)` (or -1) turns it off, and `getsockopt` says -1 when off. */
export const SO_LINGER: number = k.SO_LINGER!;
/** SO_TYPE (read-only): the socket's type, SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET. */
export const SO_TYPE: number = k.SO_TYPE!;
/** SO_DOMAIN (read-only): the socket's address family, AF_INET, AF_INET6 or AF_UNIX. */
export const SO_DOMAIN: number = k.SO_DOMAIN!;
/** SO_ACCEPTCONN (read-only): 1 if the socket is listening, 0 otherwise. */
export const SO_ACCEPTCONN: number = k.SO_ACCEPTCONN!;
/** SO_BROADCAST: allow sending datagrams to a broadcast address. */
export const SO_BROADCAST: number = k.SO_BROADCAST!;
/** SO_OOBINLINE: urgent (out-of-band) data arrives in the normal stream instead of through MSG_OOB. */
export const SO_OOBINLINE: number = k.SO_OOBINLINE!;
/** SO_RCVLOWAT: the least number of bytes queued before the socket counts as readable (default 1). */
export const SO_RCVLOWAT: number = k.SO_RCVLOWAT!;
/** SO_SNDLOWAT (read-only on Linux, where it is always 1: setting it fails with ENOPROTOOPT): the least free send space for the socket to count as writable. */
export const SO_SNDLOWAT: number = k.SO_SNDLOWAT!;
/** Option level for IPv4: the IP_* options. */
export const IPPROTO_IP: number = k.IPPROTO_IP!;
/** Option level for IPv6: the IPV6_* options. */
export const IPPROTO_IPV6: number = k.IPPROTO_IPV6!;
/** Option level for TCP: the TCP_* options. */
export const IPPROTO_TCP: number = k.IPPROTO_TCP!;
/** Option level for UDP: the UDP_* options. */
export const IPPROTO_UDP: number = k.IPPROTO_UDP!;
/** IPV6_V6ONLY (level IPPROTO_IPV6): an ipv6 socket speaks IPv6 only, not IPv4 through IPv4-mapped addresses (set it before `bind`). */
export const IPV6_V6ONLY: number = k.IPV6_V6ONLY!;
/** TCP_NODELAY: send small segments at once instead of coalescing them (turns off Nagle's algorithm). */
export const TCP_NODELAY: number = k.TCP_NODELAY!;
/** TCP_KEEPIDLE: seconds a connection is idle before the first keep-alive probe (with SO_KEEPALIVE). */
export const TCP_KEEPIDLE: number = k.TCP_KEEPIDLE!;
/** TCP_KEEPINTVL: seconds between keep-alive probes. */
export const TCP_KEEPINTVL: number = k.TCP_KEEPINTVL!;
/** TCP_KEEPCNT: unanswered keep-alive probes before the connection is dropped. */
export const TCP_KEEPCNT: number = k.TCP_KEEPCNT!;
/** TCP_CORK: hold back partial segments until the option is cleared (or 200 ms pass), to send full ones. */
export const TCP_CORK: number = k.TCP_CORK!;
/** TCP_QUICKACK: acknowledge at once instead of delaying ACKs; not permanent (the kernel may return to delayed ACKs). */
export const TCP_QUICKACK: number = k.TCP_QUICKACK!;
/** `send`/`recv` flag: send or receive urgent (out-of-band) data. */
export const MSG_OOB: number = k.MSG_OOB!;
/** `recv`/`recvfrom` flag: return the data without taking it off the queue. */
export const MSG_PEEK: number = k.MSG_PEEK!;
/** `send`/`recv` flag: this one call does not block, even on a blocking socket (EAGAIN is `null`). */
export const MSG_DONTWAIT: number = k.MSG_DONTWAIT!;
/** `send` flag, always added by `send`/`sendto`: a closed peer is EPIPE, never SIGPIPE. */
export const MSG_NOSIGNAL: number = k.MSG_NOSIGNAL!;
/** `recv` flag: on a blocking socket, wait for the whole length (a signal, an error or the end of stream still return less). */
export const MSG_WAITALL: number = k.MSG_WAITALL!;
/** `recv`/`recvfrom` flag on a datagram socket: return the datagram's real length, even when it is longer than the buffer (the rest is discarded). */
export const MSG_TRUNC: number = k.MSG_TRUNC!;
/** `shutdown` how: stop receiving (same as 'read'). */
export const SHUT_RD: number = k.SHUT_RD!;
/** `shutdown` how: stop sending; the peer reads an end of stream (same as 'write'). */
export const SHUT_WR: number = k.SHUT_WR!;
/** `shutdown` how: stop both directions (same as 'both'). */
export const SHUT_RDWR: number = k.SHUT_RDWR!;
/** The C library's SOMAXCONN, a `listen` backlog; the kernel caps any backlog at /proc/sys/net/core/somaxconn. */
export const SOMAXCONN: number = k.SOMAXCONN!;
