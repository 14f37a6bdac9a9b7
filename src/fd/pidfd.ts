/**
 * Processes as fds (pidfd_open(2), Linux 5.3+): an fd that turns readable
 * (EPOLLIN) when its process exits, so the exit of any process, not only a
 * child, is one more fd on an Epoll; and signals sent through it, which can
 * never hit another process that reused the pid.
 */
import { constants as osConstants } from 'node:os';
import { check, invalidArgType, unknownSignal } from '../internal/errors';
import { native } from '../internal/binding';
import { type FdLike, lookupName, toFd, validateInt } from '../internal/validate';

const SIGNALS: Readonly<Record<string, number>> = osConstants.signals;
/** The highest signal number Linux has (SIGRTMAX). */
const SIGNAL_MAX = 64;

/**
 * Open a pidfd for process `pid`: readable (EPOLLIN, POLLIN) from the moment the
 * process has exited — as soon as it is a zombie, before anyone reaps it, and
 * still after. Any process you may see works, not only your children. The fd is
 * close-on-exec (always: the kernel sets it). Close it with `close()`.
 *
 * A child started by `child_process` is reaped by libuv (its 'exit' event): a
 * pidfd on it turns readable all the same, and both see the exit. Never call
 * waitid(P_PIDFD) on such a child: it would race libuv for the exit status.
 * Open the pidfd while the process runs: once reaped, its pid is gone (ESRCH)
 * or, later, someone else's.
 * @param pid a process id (> 0)
 * @returns the pidfd
 * @throws TypeError ERR_INVALID_ARG_TYPE for a pid that is not an integer;
 *   RangeError ERR_OUT_OF_RANGE for pid <= 0; SystemError ESRCH (no such process,
 *   or already reaped), ENOSYS (a kernel before 5.3), EMFILE...
 */
export function pidfdOpen(pid: number): number {
  const p = validateInt(pid, 'pid', 1, 0x7fffffff);
  return check(native.pidfdOpen(p, 0), 'pidfd_open');
}

/**
 * Send `signal` to the process of a pidfd (pidfd_send_signal(2)): as
 * `process.kill(pid, signal)`, but never to a process that took over the pid
 * after this one was reaped.
 * @param pidfd a pidfd from `pidfdOpen`
 * @param signal a name as Node's `os.constants.signals` has it ('SIGTERM', 'SIGKILL', ...)
 *   or a number, 0 only checking that the process is there; default 'SIGTERM'
 * @throws TypeError ERR_UNKNOWN_SIGNAL for a name Node does not know (as process.kill);
 *   TypeError ERR_INVALID_ARG_TYPE for a signal neither a string nor an integer, or a
 *   pidfd that is not an FdLike; RangeError ERR_OUT_OF_RANGE for a number outside 0-64;
 *   SystemError ESRCH (the process has exited), EBADF (not a pidfd), EPERM (not yours)
 */
export function pidfdSendSignal(pidfd: FdLike, signal: string | number = 'SIGTERM'): void {
  const fd = toFd(pidfd, 'pidfd');
  let sig: number;
  if (typeof signal === 'string') {
    const v = lookupName(SIGNALS, signal);
    if (v === undefined) throw unknownSignal(signal);
    sig = v;
  } else if (typeof signal === 'number') {
    sig = validateInt(signal, 'signal', 0, SIGNAL_MAX);
  } else {
    throw invalidArgType('signal', 'of type string or an integer', signal);
  }
  check(native.pidfdSendSignal(fd, sig), 'pidfd_send_signal');
}
