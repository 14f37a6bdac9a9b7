// Simulated GPIO chips for the onoff and CLI suites (in the VM: scripts/vm-run.sh):
// gpio-sim through configfs, a bank with a label and line names, optionally at a
// chosen global base (as a Raspberry Pi's kernel 6.6+ puts its header chip at 512
// or 571), inputs driven by writing the simulated pull, outputs read back.
import fs from 'node:fs';
import path from 'node:path';

const CONFIGFS = '/sys/kernel/config/gpio-sim';
/** 6.1's ARCH_NR_GPIOS on x86: dynamic bases are given from here downward. */
const TOP = 1024;
let made = 0;

/** The global ranges the kernel has given, as /sys/class/gpio lists them. */
function ranges(): Array<{ base: number; lines: number }> {
  const out: Array<{ base: number; lines: number }> = [];
  for (const e of fs.readdirSync('/sys/class/gpio')) {
    if (!/^gpiochip\d+$/.test(e)) continue;
    const read = (f: string): number => Number(fs.readFileSync(`/sys/class/gpio/${e}/${f}`, 'utf8'));
    out.push({ base: read('base'), lines: read('ngpio') });
  }
  return out.sort((a, b) => a.base - b.base);
}

/** Where 6.1's gpiochip_find_base() puts a chip of n lines: the first gap from the top. */
function placement(taken: Array<{ base: number; lines: number }>, n: number): number {
  let base = TOP - n;
  for (let i = taken.length - 1; i >= 0; i--) {
    const r = taken[i]!;
    if (r.base + r.lines <= base) break;
    base = r.base - n;
  }
  return base;
}

export interface SimOptions {
  lines: number;
  label?: string;
  /** offset -> name */
  names?: Record<number, string>;
  /** the global base it must get (a filler chip is made below first when needed) */
  base?: number;
}

export class SimChip {
  readonly dir: string;
  readonly device: string;
  /** 'gpiochip3' */
  readonly name: string;
  readonly filler: SimChip | null;

  private constructor(o: SimOptions, filler: SimChip | null) {
    this.filler = filler;
    this.dir = path.join(CONFIGFS, `ioready-${process.pid}-${made++}`);
    fs.mkdirSync(this.dir);
    fs.mkdirSync(`${this.dir}/bank0`);
    fs.writeFileSync(`${this.dir}/bank0/num_lines`, String(o.lines));
    if (o.label !== undefined) fs.writeFileSync(`${this.dir}/bank0/label`, o.label);
    for (const [offset, name] of Object.entries(o.names ?? {})) {
      fs.mkdirSync(`${this.dir}/bank0/line${offset}`);
      fs.writeFileSync(`${this.dir}/bank0/line${offset}/name`, name);
    }
    fs.writeFileSync(`${this.dir}/live`, '1');
    this.device = fs.readFileSync(`${this.dir}/dev_name`, 'utf8').trim();
    this.name = fs.readFileSync(`${this.dir}/bank0/chip_name`, 'utf8').trim();
  }

  /** Make a chip; with `base`, first a filler chip that leaves exactly that base free from the top. */
  static create(o: SimOptions): SimChip {
    let filler: SimChip | null = null;
    if (o.base !== undefined) {
      const taken = ranges();
      if (placement(taken, o.lines) !== o.base) {
        // A filler of f lines lands at base + lines when the gap above it fits nothing else.
        let f = 1;
        for (; f <= TOP; f++) {
          const at = placement(taken, f);
          if (at !== o.base + o.lines) continue;
          if (placement([...taken, { base: at, lines: f }].sort((a, b) => a.base - b.base), o.lines) === o.base) break;
        }
        if (f > TOP) throw new Error(`cannot place a ${o.lines}-line chip at base ${o.base} (taken: ${JSON.stringify(taken)})`);
        filler = new SimChip({ lines: f, label: 'filler' }, null);
      }
    }
    const chip = new SimChip(o, filler);
    if (o.base !== undefined && chip.base() !== o.base) {
      chip.remove();
      throw new Error(`the chip landed at ${chip.base()}, not ${o.base}`);
    }
    return chip;
  }

  get path(): string {
    return `/dev/${this.name}`;
  }

  #line(offset: number, file: string): string {
    return `/sys/devices/platform/${this.device}/${this.name}/sim_gpio${offset}/${file}`;
  }

  /** Drive an input: pull it up (1) or down (0). */
  pull(offset: number, value: 0 | 1): void {
    fs.writeFileSync(this.#line(offset, 'pull'), value === 1 ? 'pull-up' : 'pull-down');
  }

  /** The line's physical value (what an output drives). */
  value(offset: number): 0 | 1 {
    return fs.readFileSync(this.#line(offset, 'value'), 'utf8').trim() === '1' ? 1 : 0;
  }

  /** Its global base, from /sys/class/gpio (its entry's parent is the platform device in 6.1). */
  base(): number {
    for (const e of fs.readdirSync('/sys/class/gpio')) {
      if (!/^gpiochip\d+$/.test(e)) continue;
      const parent = path.basename(path.dirname(path.dirname(fs.realpathSync(`/sys/class/gpio/${e}`))));
      if (parent === this.device || parent === this.name) return Number(fs.readFileSync(`/sys/class/gpio/${e}/base`, 'utf8'));
    }
    throw new Error(`no /sys/class/gpio entry for ${this.name}`);
  }

  /** Take it (and its filler) away: release every request on it first. */
  remove(): void {
    if (fs.existsSync(this.dir)) {
      fs.writeFileSync(`${this.dir}/live`, '0');
      for (const e of fs.readdirSync(`${this.dir}/bank0`)) if (e.startsWith('line')) fs.rmdirSync(`${this.dir}/bank0/${e}`);
      fs.rmdirSync(`${this.dir}/bank0`);
      fs.rmdirSync(this.dir);
    }
    this.filler?.remove();
  }
}

/** The suites run only in the VM, as root, with gpio-sim. */
export const inVm = fs.existsSync(CONFIGFS);
