/**
 * Names for the bits of a flag mask (epoll, poll, inotify...): one table
 * builder and one lookup, shared by every `*Names(mask)` function. Internal.
 */

/** @internal [bit, name] pairs, one per single-bit flag, lowest bit first. */
export type NameTable = ReadonlyArray<readonly [bit: number, name: string]>;

/**
 * @internal A table of `names` with their values from `consts` (unsigned 32-bit).
 * @returns the pairs, sorted by bit; never throws
 */
export function nameTable(consts: Readonly<Record<string, number>>, names: readonly string[]): NameTable {
  return names.map((name) => [consts[name]! >>> 0, name] as const).sort((a, b) => a[0] - b[0]);
}

/**
 * Names of the bits set in `mask` (an integer, signed or unsigned 32-bit),
 * lowest bit first; a bit with no name comes back in hex ('0x1000000').
 * @internal
 * @returns the names; never throws (the caller validates `mask`)
 */
export function maskNames(mask: number, tbl: NameTable): string[] {
  const names: string[] = [];
  const bits = mask >>> 0; // 32 bits, unsigned: bit 31 included
  for (let i = 0; i < 32; i++) {
    if ((bits >>> i) & 1) {
      const bit = 2 ** i;
      const named = tbl.find(([b]) => b === bit);
      names.push(named ? named[1] : `0x${bit.toString(16)}`);
    }
  }
  return names;
}
