/**
 * ioctl(2) for requests that encode their argument's size (the `_IOR`/`_IOW`/
 * `_IOWR` macros of the kernel's headers: GPIO, evdev, hidraw, ...): the
 * caller encodes the struct in a Buffer, whose length must be the size the
 * request number carries. Old-style requests that encode nothing (termios'
 * 0x54xx) are refused, since nothing would bound what the kernel writes.
 */
import { check, invalidArgValue } from '../internal/errors';
import { native } from '../internal/binding';
import { type FdLike, toFd, validateInt, validateView } from '../internal/validate';

/** The argument size a request number encodes (`_IOC_SIZE`, bits 16-29 on x86 and arm). */
export function iocSize(request: number): number {
  return (request >>> 16) & 0x3fff;
}

/** The direction a request number encodes (`_IOC_DIR`): 0 none, 1 write, 2 read, 3 both. */
function iocDir(request: number): number {
  return request >>> 30;
}

/**
 * Make the ioctl `request` on `fd`. `buf` holds the argument struct, which the
 * kernel reads and/or overwrites in place; it must be exactly as long as the
 * size the request encodes (none for a request of direction `_IOC_NONE`).
 * EINTR is retried.
 * @param request the request number (as the kernel's header computes it; a negative
 *   int32 is taken as its unsigned value)
 * @returns the call's result (>= 0)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike, a request that
 *   is not an integer, or a buf that is not a Buffer/TypedArray/DataView; TypeError
 *   ERR_INVALID_ARG_VALUE for a buf whose length is not the request's size (or any buf
 *   for an `_IOC_NONE` request, or none for another); RangeError ERR_OUT_OF_RANGE for a
 *   negative fd or a request outside 32 bits; SystemError as the kernel says (ENOTTY:
 *   not a request this fd knows, EINVAL, EFAULT, ...)
 */
export function ioctl(fd: FdLike, request: number, buf?: ArrayBufferView): number {
  const n = toFd(fd);
  const req = validateInt(request, 'request', -0x80000000, 0xffffffff) >>> 0;
  if (iocDir(req) === 0) {
    if (buf !== undefined) throw invalidArgValue('buf', buf, 'must be undefined for an _IOC_NONE request');
    return check(native.ioctl(n, req), 'ioctl');
  }
  validateView(buf, 'buf');
  const size = iocSize(req);
  if (buf.byteLength !== size) {
    throw invalidArgValue('buf', buf, `must be ${size} bytes long, the size request 0x${req.toString(16)} encodes (it is ${buf.byteLength})`);
  }
  return check(native.ioctl(n, req, buf), 'ioctl');
}
