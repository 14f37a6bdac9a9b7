/**
 * The one hook between the fd toolkit and the readiness layer, so that the
 * arrow runs one way: the toolkit's `close()` announces the fd here, and the
 * delivery layer (readiness/epoll.ts), which registers itself, drops what a
 * batch still holds for that fd. The toolkit never imports the readiness layer.
 */

type CloseObserver = (fd: number) => void;

let observer: CloseObserver | null = null;

/** Set the observer of toolkit closes (the delivery layer does, once, at load). */
export function observeCloses(fn: CloseObserver): void {
  observer = fn;
}

/** Called by the toolkit just before it closes `fd`. */
export function willClose(fd: number): void {
  if (observer !== null) observer(fd);
}
