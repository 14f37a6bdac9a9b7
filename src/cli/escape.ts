/**
 * Terminal-safe text for bytes a client sent: what `ioready serve` shows when
 * stdout is a terminal. Control bytes other than \n \r \t (C0, DEL), the C1
 * controls in their UTF-8 form (U+0080-U+009F, which some terminals obey) and
 * bytes that are not valid UTF-8 are shown escaped as `\x1b`; valid UTF-8
 * text passes through. A sequence cut by a chunk boundary is held back until
 * the connection's next chunk, so each connection needs its own escaper.
 */

const HEX = '0123456789abcdef';
const BACKSLASH = 0x5c;
const X = 0x78;

/** Number of bytes a UTF-8 sequence starting with `b` has (0: not a lead byte). */
function sequenceLength(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** The allowed range of the byte after lead byte `lead` (RFC 3629's table). */
function secondByteOk(lead: number, b: number): boolean {
  if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf; // no overlong forms
  if (lead === 0xed) return b >= 0x80 && b <= 0x9f; // no surrogates
  if (lead === 0xf0) return b >= 0x90 && b <= 0xbf; // no overlong forms
  if (lead === 0xf4) return b >= 0x80 && b <= 0x8f; // nothing above U+10FFFF
  return b >= 0x80 && b <= 0xbf;
}

const isContinuation = (b: number): boolean => b >= 0x80 && b <= 0xbf;

const isControl = (b: number): boolean => (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f;
const isAnyControl = (b: number): boolean => b < 0x20 || b === 0x7f;

export class TerminalEscaper {
  #held: Buffer | null = null;
  readonly #isControl: (b: number) => boolean;

  /** @param escapeLineBreaks escape \n \r \t too (text that must stay on one line) */
  constructor(escapeLineBreaks = false) {
    this.#isControl = escapeLineBreaks ? isAnyControl : isControl;
  }

  /** The terminal-safe form of `buf[off, off + len)`. */
  feed(buf: Buffer, off: number, len: number): Buffer {
    let src = buf.subarray(off, off + len);
    if (this.#held !== null) {
      src = Buffer.concat([this.#held, src]);
      this.#held = null;
    }
    const out = Buffer.allocUnsafe(src.length * 4);
    let o = 0;
    const escape = (b: number): void => {
      out[o++] = BACKSLASH;
      out[o++] = X;
      out[o++] = HEX.charCodeAt(b >> 4);
      out[o++] = HEX.charCodeAt(b & 15);
    };
    let i = 0;
    while (i < src.length) {
      const b = src[i]!;
      if (b < 0x80) {
        if (this.#isControl(b)) escape(b);
        else out[o++] = b;
        i++;
        continue;
      }
      const need = sequenceLength(b);
      if (need === 0) {
        escape(b);
        i++;
        continue;
      }
      // Check the continuation bytes present; hold an incomplete tail back.
      let ok = true;
      let j = 1;
      for (; j < need && i + j < src.length; j++) {
        const c = src[i + j]!;
        if (j === 1 ? !secondByteOk(b, c) : !isContinuation(c)) {
          ok = false;
          break;
        }
      }
      if (!ok) {
        escape(b);
        i++;
        continue;
      }
      if (i + need > src.length) {
        this.#held = Buffer.from(src.subarray(i));
        break;
      }
      if (need === 2 && b === 0xc2 && src[i + 1]! <= 0x9f) {
        // U+0080-U+009F: C1 controls (0x9b is CSI to some terminals)
        escape(b);
        escape(src[i + 1]!);
      } else {
        for (let k = 0; k < need; k++) out[o++] = src[i + k]!;
      }
      i += need;
    }
    return out.subarray(0, o);
  }

  /** At end of stream: the held, incomplete sequence, escaped. */
  end(): Buffer {
    const held = this.#held;
    this.#held = null;
    if (held === null) return Buffer.alloc(0);
    return Buffer.from([...held].map((b) => `\\x${HEX[b >> 4]}${HEX[b & 15]}`).join(''));
  }
}
