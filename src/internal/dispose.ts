/**
 * The key of the `[Symbol.dispose]()` methods. Symbol.dispose is Node 20.4+ (a polyfill
 * there, `Symbol.for('nodejs.dispose')`, until V8 has its own); on Node 20.0-20.3 it is
 * undefined, and a method keyed by it would be named "undefined". This is the same
 * symbol as Node 20.4+'s, without changing the global.
 */
export const DISPOSE: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for('nodejs.dispose')) as typeof Symbol.dispose;

/**
 * On Node 20.0-20.3 (no Symbol.dispose), also answer to `Symbol.for('Symbol.dispose')`:
 * the key esbuild's (and so tsx's) lowered `using` looks up when Symbol.dispose is
 * missing. Elsewhere a no-op.
 */
export function aliasDispose(proto: { [DISPOSE](): void }): void {
  if (Symbol.dispose !== undefined) return;
  Object.defineProperty(proto, Symbol.for('Symbol.dispose'), { value: proto[DISPOSE], writable: true, configurable: true });
}
