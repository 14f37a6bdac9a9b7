/*
 * Terminals: a pseudo-terminal pair, and the kernel's termios2 (TCGETS2 /
 * TCSETS2), which carries any baud rate (BOTHER + c_ispeed/c_ospeed), not only
 * the B* table of glibc's termios. Only the system calls and the struct
 * shuttle live here; what the flags mean (raw mode, 8N1, flow control) is
 * decided in TypeScript (src/fd/tty.ts) from the constants exported below.
 *
 * This file uses the kernel's <asm/termbits.h>, whose struct termios and
 * flag macros collide with glibc's <termios.h>: no other file of the addon
 * may include both, and this one never includes <termios.h>.
 */
#include "ioready.h"

#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* glibc's <sys/ioctl.h> pulls in struct termio and friends; its prototype alone is enough. */
extern int ioctl(int fd, unsigned long request, ...);

/*
 * The uAPI layout TCGETS2/TCSETS2 exchange, the same on x86-64, arm64 and
 * 32-bit arm (asm-generic/termbits.h): 4-byte flags, a 1-byte line, 19 control
 * characters, then the two speeds, 44 bytes. The shuttle below copies field by
 * field, so JS never sees the layout; these asserts keep the header we compile
 * against the one the kernel of every target uses.
 */
_Static_assert(sizeof(tcflag_t) == 4, "termios2 flags are 32-bit");
_Static_assert(NCCS == 19, "termios2 has 19 control characters");
_Static_assert(offsetof(struct termios2, c_line) == 16, "termios2.c_line at 16");
_Static_assert(offsetof(struct termios2, c_cc) == 17, "termios2.c_cc at 17");
_Static_assert(offsetof(struct termios2, c_ispeed) == 36, "termios2.c_ispeed at 36");
_Static_assert(offsetof(struct termios2, c_ospeed) == 40, "termios2.c_ospeed at 40");
_Static_assert(sizeof(struct termios2) == 44, "struct termios2 is 44 bytes");

/*
 * The struct as JS holds it: a Uint32Array of TERMIOS_WORDS elements,
 * [iflag, oflag, cflag, lflag, line, ispeed, ospeed, cc[0] .. cc[NCCS - 1]].
 */
#define TERMIOS_WORDS (7 + NCCS)

static bool arg_termios(napi_env env, napi_value v, uint32_t **out) {
  napi_typedarray_type type;
  size_t count, offset;
  napi_value ab;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, &count, &p, &ab, &offset) != napi_ok || type != napi_uint32_array ||
      count < TERMIOS_WORDS) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a Uint32Array of TERMIOS_WORDS");
    return false;
  }
  *out = p;
  return true;
}

/* ttyGetAttr(fd, out: Uint32Array) -> 0 | -errno (ioctl TCGETS2) */
static napi_value tty_get_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  uint32_t *w;
  if (!get_args(env, info, 2, argv) || !arg_int32(env, argv[0], &fd) || !arg_termios(env, argv[1], &w)) return NULL;
  struct termios2 t;
  int r = ioctl(fd, TCGETS2, &t);
  if (r < 0) return ret_int(env, -errno);
  /* SAFETY: w holds >= TERMIOS_WORDS elements (arg_termios); i < NCCS, the length of c_cc. */
  w[0] = t.c_iflag, w[1] = t.c_oflag, w[2] = t.c_cflag, w[3] = t.c_lflag;
  w[4] = t.c_line, w[5] = t.c_ispeed, w[6] = t.c_ospeed;
  for (int i = 0; i < NCCS; i++) w[7 + i] = t.c_cc[i];
  return ret_int(env, 0);
}

/* ttySetAttr(fd, attrs: Uint32Array) -> 0 | -errno (ioctl TCSETS2: at once, as TCSANOW) */
static napi_value tty_set_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  uint32_t *w;
  if (!get_args(env, info, 2, argv) || !arg_int32(env, argv[0], &fd) || !arg_termios(env, argv[1], &w)) return NULL;
  struct termios2 t;
  memset(&t, 0, sizeof t);
  /* SAFETY: w holds >= TERMIOS_WORDS elements (arg_termios); i < NCCS, the length of c_cc. */
  t.c_iflag = w[0], t.c_oflag = w[1], t.c_cflag = w[2], t.c_lflag = w[3];
  t.c_line = (cc_t)w[4], t.c_ispeed = w[5], t.c_ospeed = w[6];
  for (int i = 0; i < NCCS; i++) t.c_cc[i] = (cc_t)w[7 + i];
  return ret_errno_or(env, RETRY_EINTR(ioctl(fd, TCSETS2, &t)));
}

/*
 * ptyOpen(flags, out: Int32Array(2)) -> 0 | -errno: a pseudo-terminal pair,
 * [controller, tty], both opened with O_RDWR | O_NOCTTY | flags (O_NONBLOCK,
 * O_CLOEXEC). The tty side is opened through the controller (TIOCGPTPEER,
 * Linux 4.13+: no path, so no race with a /dev/pts being remounted), or by its
 * number under /dev/pts (TIOCGPTN) on older kernels.
 */
static napi_value pty_open_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t flags, *out;
  size_t n;
  if (!get_args(env, info, 2, argv) || !arg_int32(env, argv[0], &flags) || !arg_int32_array(env, argv[1], &out, &n))
    return NULL;
  if (n < 2) return ret_int(env, -EINVAL);
  int oflags = O_RDWR | O_NOCTTY | (flags & (O_NONBLOCK | O_CLOEXEC));
  int ctl = RETRY_EINTR(open("/dev/ptmx", oflags));
  if (ctl < 0) return ret_int(env, -errno);
  int unlock = 0, tty = -1;
  if (ioctl(ctl, TIOCSPTLCK, &unlock) == 0) {
#ifdef TIOCGPTPEER
    tty = ioctl(ctl, TIOCGPTPEER, oflags);
    if (tty < 0) /* a kernel before 4.13: by number */
#endif
    {
      unsigned int num;
      char path[32];
      if (ioctl(ctl, TIOCGPTN, &num) == 0) {
        snprintf(path, sizeof path, "/dev/pts/%u", num);
        tty = RETRY_EINTR(open(path, oflags));
      }
    }
  }
  if (tty < 0) {
    int e = errno;
    close(ctl);
    return ret_int(env, -e);
  }
  /* SAFETY: n >= 2 was checked above. */
  out[0] = ctl;
  out[1] = tty;
  return ret_int(env, 0);
}

/* The flags, masks and speeds TypeScript composes termios2 from, as <asm/termbits.h> defines them. */
#define C(name) {#name, (uint32_t)(name)}
static const struct {
  const char *name;
  uint32_t value;
} tty_constants[] = {
    C(NCCS), C(VMIN), C(VTIME),
    /* c_iflag */
    C(IGNBRK), C(BRKINT), C(IGNPAR), C(PARMRK), C(INPCK), C(ISTRIP), C(INLCR), C(IGNCR), C(ICRNL),
    C(IXON), C(IXANY), C(IXOFF),
    /* c_oflag */
    C(OPOST), C(ONLCR),
    /* c_cflag */
    C(CBAUD), C(CBAUDEX), C(BOTHER), C(CIBAUD), C(IBSHIFT), C(CSIZE), C(CS5), C(CS6), C(CS7), C(CS8),
    C(CSTOPB), C(CREAD), C(PARENB), C(PARODD), C(HUPCL), C(CLOCAL), C(CMSPAR), C(CRTSCTS),
    /* c_lflag */
    C(ISIG), C(ICANON), C(ECHO), C(ECHOE), C(ECHOK), C(ECHONL), C(ECHOCTL), C(ECHOKE), C(IEXTEN),
    /* the B* speed codes: "B<rate>" names its rate, B0 is "hang up" */
    C(B0), C(B50), C(B75), C(B110), C(B134), C(B150), C(B200), C(B300), C(B600), C(B1200), C(B1800),
    C(B2400), C(B4800), C(B9600), C(B19200), C(B38400), C(B57600), C(B115200), C(B230400), C(B460800),
    C(B500000), C(B576000), C(B921600), C(B1000000), C(B1152000), C(B1500000), C(B2000000), C(B2500000),
    C(B3000000), C(B3500000), C(B4000000),
    {"TERMIOS_WORDS", TERMIOS_WORDS},
};
#undef C

bool init_tty(napi_env env, napi_value exports) {
  napi_value group;
  if (napi_create_object(env, &group) != napi_ok || napi_set_named_property(env, exports, "ttyConstants", group) != napi_ok)
    return false;
  /* SAFETY: i < the table's length. */
  for (size_t i = 0; i < sizeof tty_constants / sizeof tty_constants[0]; i++) {
    napi_value v;
    if (napi_create_uint32(env, tty_constants[i].value, &v) != napi_ok ||
        napi_set_named_property(env, group, tty_constants[i].name, v) != napi_ok)
      return false;
  }
  return export_fn(env, exports, "ptyOpen", pty_open_js) && export_fn(env, exports, "ttyGetAttr", tty_get_js) &&
         export_fn(env, exports, "ttySetAttr", tty_set_js);
}
