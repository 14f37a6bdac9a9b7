/*
 * Every constant the addon exports, in one table, with the values of this
 * system's headers (TypeScript never hard-codes a kernel number).
 *
 * Each row names the object it lands in (binding.epollConstants, ...) so the
 * TypeScript modules keep reading their own group. Every value here is
 * non-negative and fits in 32 bits; masks with bit 31 set (EPOLLET,
 * IN_ONESHOT) keep their unsigned value.
 */
#include "ioready.h"

#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>

typedef struct {
  const char *group; /* the binding property holding it */
  const char *name;
  uint32_t value;
} constant_t;

/* #name is taken in each group's macro, before the argument is expanded to its value. */
#define ROW(group, text, value) {group, text, (uint32_t)(value)}
#define EPOLL(name) ROW("epollConstants", #name, name)
#define FD(name) ROW("fdConstants", #name, name)
#define KIND(name) ROW("fdkindConstants", #name, name)
#define SOCK(name) ROW("socketConstants", #name, name)
#define POLL(name) ROW("pollConstants", #name, name)

/* Rows of one group are contiguous: init_constants makes one object per run. */
static const constant_t constants[] = {
    EPOLL(EPOLLIN), EPOLL(EPOLLPRI), EPOLL(EPOLLOUT), EPOLL(EPOLLERR), EPOLL(EPOLLHUP),
    EPOLL(EPOLLRDNORM), EPOLL(EPOLLRDBAND), EPOLL(EPOLLWRNORM), EPOLL(EPOLLWRBAND), EPOLL(EPOLLMSG),
    EPOLL(EPOLLRDHUP), EPOLL(EPOLLEXCLUSIVE), EPOLL(EPOLLWAKEUP), EPOLL(EPOLLONESHOT), EPOLL(EPOLLET),
    EPOLL(EPOLL_CTL_ADD), EPOLL(EPOLL_CTL_MOD), EPOLL(EPOLL_CTL_DEL), EPOLL(EPOLL_CLOEXEC),
    EPOLL(POLLIN), EPOLL(POLLPRI), EPOLL(POLLOUT), EPOLL(POLLERR), EPOLL(POLLHUP), EPOLL(POLLNVAL),
    EPOLL(POLLRDNORM), EPOLL(POLLRDBAND), EPOLL(POLLWRNORM), EPOLL(POLLWRBAND), EPOLL(POLLMSG),
    EPOLL(POLLRDHUP), EPOLL(EPOLL_BATCH_CAP),

    FD(O_NONBLOCK), FD(O_CLOEXEC), FD(AF_UNIX), FD(AF_INET), FD(AF_INET6), FD(SOCK_STREAM),
    FD(SOCK_DGRAM), FD(SOCK_SEQPACKET), FD(SOCK_NONBLOCK), FD(SOCK_CLOEXEC), FD(F_GETFL), FD(F_SETFL),
    FD(F_GETFD), FD(F_SETFD), FD(FD_CLOEXEC),

    KIND(EFD_SEMAPHORE), KIND(EFD_NONBLOCK), KIND(EFD_CLOEXEC),
    KIND(CLOCK_MONOTONIC), KIND(CLOCK_REALTIME), KIND(CLOCK_BOOTTIME), KIND(CLOCK_REALTIME_ALARM),
    KIND(CLOCK_BOOTTIME_ALARM), KIND(TFD_NONBLOCK), KIND(TFD_CLOEXEC), KIND(TFD_TIMER_ABSTIME),
    KIND(TFD_TIMER_CANCEL_ON_SET), KIND(IN_NONBLOCK), KIND(IN_CLOEXEC),
    KIND(IN_ACCESS), KIND(IN_MODIFY), KIND(IN_ATTRIB), KIND(IN_CLOSE_WRITE), KIND(IN_CLOSE_NOWRITE),
    KIND(IN_OPEN), KIND(IN_MOVED_FROM), KIND(IN_MOVED_TO), KIND(IN_CREATE), KIND(IN_DELETE),
    KIND(IN_DELETE_SELF), KIND(IN_MOVE_SELF), KIND(IN_UNMOUNT), KIND(IN_Q_OVERFLOW), KIND(IN_IGNORED),
    KIND(IN_CLOSE), KIND(IN_MOVE), KIND(IN_ONLYDIR), KIND(IN_DONT_FOLLOW), KIND(IN_EXCL_UNLINK),
    KIND(IN_MASK_CREATE), KIND(IN_MASK_ADD), KIND(IN_ISDIR), KIND(IN_ONESHOT), KIND(IN_ALL_EVENTS),
    {"fdkindConstants", "SIZEOF_INOTIFY_EVENT", sizeof(struct inotify_event)},
    KIND(NAME_MAX),

    SOCK(SOL_SOCKET), SOCK(SO_REUSEADDR), SOCK(SO_REUSEPORT), SOCK(SO_RCVBUF), SOCK(SO_SNDBUF),
    SOCK(SO_ERROR), SOCK(SO_KEEPALIVE), SOCK(SO_LINGER), SOCK(SO_TYPE), SOCK(SO_DOMAIN),
    SOCK(SO_ACCEPTCONN), SOCK(SO_BROADCAST), SOCK(SO_OOBINLINE), SOCK(SO_RCVLOWAT), SOCK(SO_SNDLOWAT),
    SOCK(IPPROTO_IP), SOCK(IPPROTO_IPV6), SOCK(IPPROTO_TCP), SOCK(IPPROTO_UDP), SOCK(IPV6_V6ONLY),
    SOCK(TCP_NODELAY), SOCK(TCP_KEEPIDLE), SOCK(TCP_KEEPINTVL), SOCK(TCP_KEEPCNT), SOCK(TCP_CORK),
    SOCK(TCP_QUICKACK), SOCK(MSG_OOB), SOCK(MSG_PEEK), SOCK(MSG_DONTWAIT), SOCK(MSG_NOSIGNAL),
    SOCK(MSG_WAITALL), SOCK(MSG_TRUNC), SOCK(SHUT_RD), SOCK(SHUT_WR), SOCK(SHUT_RDWR), SOCK(SOMAXCONN),
    SOCK(EINPROGRESS), SOCK(EINTR),
    /* Layout facts for encoding addresses in TypeScript (src/socket.ts). */
    {"socketConstants", "SIZEOF_SOCKADDR_IN", sizeof(struct sockaddr_in)},
    {"socketConstants", "SIZEOF_SOCKADDR_IN6", sizeof(struct sockaddr_in6)},
    {"socketConstants", "SIZEOF_SOCKADDR_UN", sizeof(struct sockaddr_un)},
    {"socketConstants", "SIZEOF_SOCKADDR_STORAGE", sizeof(struct sockaddr_storage)},
    {"socketConstants", "OFFSETOF_SUN_PATH", offsetof(struct sockaddr_un, sun_path)},
    {"socketConstants", "OFFSETOF_SIN6_SCOPE_ID", offsetof(struct sockaddr_in6, sin6_scope_id)},

    POLL(FD_SETSIZE),
};

bool init_constants(napi_env env, napi_value exports) {
  size_t count = sizeof constants / sizeof constants[0];
  napi_value group = NULL;
  /* SAFETY: i < count, the table's length; constants[i - 1] is read only when i > 0. */
  for (size_t i = 0; i < count; i++) {
    const constant_t *c = &constants[i];
    if (i == 0 || strcmp(c->group, constants[i - 1].group) != 0) {
      if (napi_create_object(env, &group) != napi_ok ||
          napi_set_named_property(env, exports, c->group, group) != napi_ok)
        return false;
    }
    napi_value v;
    if (napi_create_uint32(env, c->value, &v) != napi_ok || napi_set_named_property(env, group, c->name, v) != napi_ok)
      return false;
  }
  return true;
}
