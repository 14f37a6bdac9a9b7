// Simulated GPIO chips for the suites under test/gpio/, which run in the test VM
// (`npm run test:gpio`, scripts/vm-run.sh: gpio-sim loaded, configfs mounted, root).
// The kernel's gpio-sim, configured through configfs as libgpiod's tests/gpiosim does:
//
//   /sys/kernel/config/gpio-sim/<device>/            live (0|1), dev_name ('gpio-sim.N')
//     bank<i>/                                       one chip: num_lines, label, chip_name
//       line<offset>/name                            a line's name
//       line<offset>/hog/{name,direction}            a line the kernel itself holds
//   /sys/devices/platform/<dev_name>/<chip_name>/sim_gpio<offset>/
//     pull                                           'pull-up' | 'pull-down': drives an input
//     value                                          the line's value: what an output drives
//
// Every chip a test makes is its own (a device per call, named after the pid and a
// counter), so no test depends on another's. Everything made here is taken away at the
// process's exit; a test that removes a chip releases its line requests first (in 6.1 a
// chip taken away under an open request stays in the kernel's list, and its global
// numbers with it, for good).
//
// Kernel 6.1 facts the helper relies on: each chip also gets a range of global GPIO
// numbers (the sysfs interface's), given from 1024 downward, first fit from the top;
// /sys/class/gpio/gpiochip<base> lists each live chip's range. createAtBase() puts a
// chip at a chosen base (a Raspberry Pi's numbering: 512 for a Pi 4's pinctrl-bcm2711,
// 571 for a Pi 5's pinctrl-rp1) by making filler chips above it first.
import fs from 'node:fs';
import path from 'node:path';

/** Where gpio-sim's configfs lives (configfs mounted, the module loaded). */
export const GPIO_SIM_CONFIGFS = '/sys/kernel/config/gpio-sim';

/** The top of the dynamic global numbers in kernel 6.1 on x86 (ARCH_NR_GPIOS). */
export const GPIO_GLOBAL_TOP = 1024;

/** What drives a simulated input. */
export type Pull = 'pull-up' | 'pull-down';

/** A hog's direction, as gpio-sim spells it. */
export type HogDirection = 'input' | 'output-high' | 'output-low';

/** One bank of a simulated device: one GPIO chip. */
export interface BankConfig {
  /** Its number of lines (>= 1). */
  lines: number;
  /** The chip's label (what a chip's info shows). Default: gpio-sim's, the device's name. */
  label?: string;
  /** Line names by offset: an array (index = offset; empty or missing entries unnamed) or a record. */
  names?: readonly (string | undefined)[] | Readonly<Record<number, string>>;
  /** Lines the kernel holds itself (a hog): consumer `name`, with the given direction. */
  hogs?: Readonly<Record<number, { name: string; direction: HogDirection }>>;
}

/**
 * True where simulated chips can be made: gpio-sim's configfs is there and writable
 * (the test VM). On the host, false: the GPIO suites are run by `npm run test:gpio`.
 */
export function simAvailable(): boolean {
  try {
    fs.accessSync(GPIO_SIM_CONFIGFS, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const readText = (file: string): string => fs.readFileSync(file, 'utf8').trim();

/** A live chip: one bank of a {@link SimDevice}. */
export class SimChip {
  /** The device it belongs to. */
  readonly device: SimDevice;
  /** Its bank's index in the device. */
  readonly bank: number;
  /** The kernel's name for it, e.g. 'gpiochip3'. */
  readonly name: string;
  /** Its character device, e.g. '/dev/gpiochip3'. */
  readonly path: string;
  /** Its label (the configured one, or the one gpio-sim gave it). */
  readonly label: string;
  /** Its number of lines. */
  readonly lines: number;
  /** Its directory in sysfs, holding sim_gpio<offset>/{pull,value}. */
  readonly sysfsDir: string;

  /** @internal made by SimDevice.create() once the device is live */
  constructor(device: SimDevice, bank: number, lines: number) {
    this.device = device;
    this.bank = bank;
    this.lines = lines;
    const conf = path.join(device.dir, `bank${bank}`);
    this.name = readText(path.join(conf, 'chip_name'));
    this.path = `/dev/${this.name}`;
    this.sysfsDir = `/sys/devices/platform/${device.devName}/${this.name}`;
    this.label = chipLabel(this.name, device.devName, conf);
  }

  #line(offset: number, file: 'pull' | 'value'): string {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.lines) {
      throw new RangeError(`${this.name} has lines 0-${this.lines - 1}, not ${offset}`);
    }
    return path.join(this.sysfsDir, `sim_gpio${offset}`, file);
  }

  /**
   * Drives a line from outside, as a button or a pull resistor would: an input reads
   * 1 after 'pull-up', 0 after 'pull-down' (an edge if the value changes). A request's
   * own bias overrides it while the request holds the line.
   * @throws RangeError for an offset the chip does not have; ENODEV once removed.
   */
  setPull(offset: number, pull: Pull): void {
    if (pull !== 'pull-up' && pull !== 'pull-down') throw new TypeError(`pull must be 'pull-up' or 'pull-down', not ${String(pull)}`);
    fs.writeFileSync(this.#line(offset, 'pull'), pull);
  }

  /** The simulated pull of a line. @throws RangeError for an offset the chip does not have. */
  getPull(offset: number): Pull {
    return readText(this.#line(offset, 'pull')) as Pull;
  }

  /**
   * The line's physical value: what an output drives (the value a requester set), or
   * an input's pull. @throws RangeError for an offset the chip does not have.
   */
  getValue(offset: number): 0 | 1 {
    return readText(this.#line(offset, 'value')) === '1' ? 1 : 0;
  }

  /**
   * Its range of global GPIO numbers (the sysfs interface's), from
   * /sys/class/gpio/gpiochip<base>. @throws Error if the kernel lists none for it.
   */
  globalRange(): { base: number; lines: number } {
    const r = globalRanges().find((x) => x.chip === this.name || (x.device === this.device.devName && x.label === this.label && x.lines === this.lines));
    if (!r) throw new Error(`no /sys/class/gpio entry for ${this.name} (${this.device.devName})`);
    return { base: r.base, lines: r.lines };
  }

  /** The first of its global numbers (see {@link SimChip.globalRange}). */
  base(): number {
    return this.globalRange().base;
  }

  /** Takes its whole device away (see {@link SimDevice.remove}). */
  remove(): void {
    this.device.remove();
  }
}

// The label the kernel shows for a chip: the configured one, or the one gpio-sim made
// up ('gpio-sim.0-node0'), as /sys/class/gpio shows it where that is unambiguous.
function chipLabel(name: string, devName: string, conf: string): string {
  const configured = readText(path.join(conf, 'label'));
  if (configured !== '') return configured;
  const mine = globalRanges().filter((r) => r.chip === name || (r.chip === null && r.device === devName));
  return mine.length === 1 ? mine[0]!.label : '';
}

/** A global range as /sys/class/gpio lists it. */
interface GlobalRange {
  base: number;
  lines: number;
  label: string;
  /** The gpiochipN it belongs to (null where only sysfs was read and it does not say). */
  chip: string | null;
  /** The platform device above it ('gpio-sim.0'), if any. */
  device: string | null;
}

/**
 * Every chip's global range, lowest base first: from /sys/kernel/debug/gpio (the VM
 * mounts debugfs; it names each chip. A chip removed under an open request still holds
 * its range in 6.1, and one such range was seen in neither list: tests reap every
 * request before removing a chip), else from /sys/class/gpio (live chips only; in
 * 6.1 an entry's parent is the platform device, so banks of one device are told apart
 * by label and size only).
 */
export function globalRanges(): GlobalRange[] {
  const out: GlobalRange[] = [];
  let debug: string | null = null;
  try {
    debug = fs.readFileSync('/sys/kernel/debug/gpio', 'utf8');
  } catch {
    // no debugfs
  }
  if (debug !== null) {
    // gpiochip2: GPIOs 1006-1009, parent: platform/gpio-sim.1, b0:
    for (const m of debug.matchAll(/^(gpiochip\d+): GPIOs (\d+)-(\d+)(?:, parent: [^/\n]*\/([^,\n]*))?(?:, (.*?))?(?:, can sleep)?:$/gm)) {
      const base = Number(m[2]);
      out.push({ base, lines: Number(m[3]) - base + 1, label: m[5] ?? '', chip: m[1]!, device: m[4] ?? null });
    }
    return out.sort((a, b) => a.base - b.base);
  }
  let entries: string[];
  try {
    entries = fs.readdirSync('/sys/class/gpio');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^gpiochip\d+$/.test(e)) continue;
    const dir = `/sys/class/gpio/${e}`;
    // .../platform/gpio-sim.0/gpiochip3/gpio/gpiochip958 or .../platform/gpio-sim.0/gpio/gpiochip958
    const parts = fs.realpathSync(dir).split('/');
    const above = parts[parts.length - 3] ?? '';
    const chip = /^gpiochip\d+$/.test(above) ? above : null;
    const device = chip ? (parts[parts.length - 4] ?? null) : above || null;
    out.push({ base: Number(readText(`${dir}/base`)), lines: Number(readText(`${dir}/ngpio`)), label: readText(`${dir}/label`), chip, device });
  }
  return out.sort((a, b) => a.base - b.base);
}

/**
 * Where kernel 6.1's gpiochip_find_base() puts a new chip of `lines` lines, given the
 * ranges taken: the first gap from the top that fits.
 */
export function nextBase(lines: number, taken: readonly { base: number; lines: number }[] = globalRanges()): number {
  let base = GPIO_GLOBAL_TOP - lines;
  const sorted = [...taken].sort((a, b) => b.base - a.base);
  for (const r of sorted) {
    if (r.base + r.lines <= base) break;
    base = r.base - lines;
  }
  return base;
}

let serial = 0;
const alive = new Set<SimDevice>();
let exitHook = false;

/** A simulated device: one or more banks (chips), live from creation until remove(). */
export class SimDevice {
  /** Its configfs directory. */
  readonly dir: string;
  /** The platform device's name, e.g. 'gpio-sim.0'. */
  readonly devName: string;
  /** Its chips, in bank order. */
  readonly chips: readonly SimChip[];
  /** Devices taken away with it (the fillers of createAtBase()). */
  readonly companions: SimDevice[] = [];
  #live = true;

  private constructor(dir: string, banks: readonly BankConfig[]) {
    this.dir = dir;
    this.devName = readText(path.join(dir, 'dev_name'));
    this.chips = banks.map((b, i) => new SimChip(this, i, b.lines));
  }

  /**
   * Makes a device with these banks and turns it live: each bank is a chip with its
   * /dev/gpiochipN, in bank order. Labels and line names are set before `live`, as
   * gpio-sim requires.
   * @throws RangeError for no bank or a bad line count or offset; the kernel's error
   *   (ENOENT: gpio-sim not loaded or configfs not mounted) — nothing is left behind.
   */
  static create(banks: readonly BankConfig[]): SimDevice {
    if (banks.length === 0) throw new RangeError('a device needs at least one bank');
    for (const b of banks) {
      if (!Number.isInteger(b.lines) || b.lines < 1) throw new RangeError(`lines must be an integer >= 1, not ${b.lines}`);
    }
    const dir = path.join(GPIO_SIM_CONFIGFS, `ioready-${process.pid}-${serial++}`);
    fs.mkdirSync(dir);
    try {
      banks.forEach((b, i) => {
        const bank = path.join(dir, `bank${i}`);
        fs.mkdirSync(bank);
        fs.writeFileSync(path.join(bank, 'num_lines'), String(b.lines));
        if (b.label !== undefined) fs.writeFileSync(path.join(bank, 'label'), b.label);
        const line = (offset: number): string => {
          if (!Number.isInteger(offset) || offset < 0 || offset >= b.lines) {
            throw new RangeError(`bank ${i} has lines 0-${b.lines - 1}, not ${offset}`);
          }
          const d = path.join(bank, `line${offset}`);
          fs.mkdirSync(d, { recursive: true });
          return d;
        };
        const names: Array<[number, string | undefined]> = Array.isArray(b.names)
          ? (b.names as readonly (string | undefined)[]).map((n, o) => [o, n])
          : Object.entries(b.names ?? {}).map(([o, n]) => [Number(o), n as string]);
        for (const [offset, name] of names) {
          if (name !== undefined && name !== '') fs.writeFileSync(path.join(line(offset), 'name'), name);
        }
        for (const [o, hog] of Object.entries(b.hogs ?? {})) {
          const d = path.join(line(Number(o)), 'hog');
          fs.mkdirSync(d);
          fs.writeFileSync(path.join(d, 'name'), hog.name);
          fs.writeFileSync(path.join(d, 'direction'), hog.direction);
        }
      });
      fs.writeFileSync(path.join(dir, 'live'), '1');
      const device = new SimDevice(dir, banks);
      alive.add(device);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', removeAll);
      }
      return device;
    } catch (err) {
      removeConfig(dir);
      throw err;
    }
  }

  /** True until remove(). */
  get live(): boolean {
    return this.#live;
  }

  /**
   * Takes the device away (`live` 0: its chips disappear) and deletes its configuration,
   * then its companions. Idempotent. Release requests on its lines first (see above).
   */
  remove(): void {
    if (!this.#live) return;
    this.#live = false;
    alive.delete(this);
    removeConfig(this.dir);
    for (const c of this.companions) c.remove();
  }
}

// live 0, then every directory, deepest first (configfs refuses rmdir of a non-empty
// directory and rm -r: its attributes are not files one may unlink).
function removeConfig(dir: string): void {
  if (!fs.existsSync(dir)) return;
  try {
    if (readText(path.join(dir, 'live')) === '1') fs.writeFileSync(path.join(dir, 'live'), '0');
  } catch {
    // never went live
  }
  for (const bank of fs.readdirSync(dir).filter((e) => /^bank\d+$/.test(e))) {
    for (const line of fs.readdirSync(path.join(dir, bank)).filter((e) => /^line\d+$/.test(e))) {
      const l = path.join(dir, bank, line);
      if (fs.existsSync(path.join(l, 'hog'))) fs.rmdirSync(path.join(l, 'hog'));
      fs.rmdirSync(l);
    }
    fs.rmdirSync(path.join(dir, bank));
  }
  fs.rmdirSync(dir);
}

/**
 * Makes a chip (a device with one bank). `chip.remove()` takes it away.
 * @throws as {@link SimDevice.create}.
 */
export function createChip(config: BankConfig): SimChip {
  return SimDevice.create([config]).chips[0]!;
}

/**
 * Makes a chip whose global numbers start exactly at `base` (kernel 6.1 gives them from
 * the top down, first fit): filler chips (label 'ioready-filler') take the gaps above it
 * first. `chip.remove()` takes the fillers away too. The placement is checked against
 * /sys/class/gpio.
 * @throws RangeError when the range is taken or outside 0..1024; Error if the chip
 *   landed elsewhere (a chip removed under an open request still holds its range in 6.1,
 *   unseen in sysfs: make these chips before any removal test).
 */
export function createAtBase(base: number, lines: number, label: string, names?: BankConfig['names']): SimChip {
  if (!Number.isInteger(base) || base < 0 || base + lines > GPIO_GLOBAL_TOP) {
    throw new RangeError(`base must be an integer with base + lines <= ${GPIO_GLOBAL_TOP}, not ${base}`);
  }
  const fillers: SimDevice[] = [];
  try {
    for (let round = 0; ; round++) {
      const taken = globalRanges();
      if (taken.some((r) => r.base < base + lines && base < r.base + r.lines)) {
        throw new RangeError(`global numbers ${base}-${base + lines - 1} are taken: ${JSON.stringify(taken.map((r) => [r.base, r.lines, r.label]))}`);
      }
      const at = nextBase(lines, taken);
      if (at === base) break;
      if (at < base || round > 64) throw new Error(`cannot steer a ${lines}-line chip to base ${base} (it would land at ${at})`);
      // The gap the chip would land in is [low, at + lines): fill it down to base + lines,
      // or whole when base lies below it. A filler may land in a higher gap instead (one
      // too small for the chip): the next round sees that.
      const below = taken.filter((r) => r.base + r.lines <= at + lines).pop();
      const low = below ? below.base + below.lines : 0;
      const size = at + lines - Math.max(low, base + lines);
      fillers.push(SimDevice.create([{ lines: size, label: 'ioready-filler' }]));
    }
    const chip = createChip({ lines, label, ...(names !== undefined ? { names } : {}) });
    chip.device.companions.push(...fillers);
    const landed = chip.base();
    if (landed !== base) {
      chip.remove();
      throw new Error(`the ${lines}-line chip '${label}' landed at ${landed}, not ${base}`);
    }
    return chip;
  } catch (err) {
    for (const f of fillers) f.remove();
    throw err;
  }
}

/** Takes away every device this process made and has not removed (also run at exit). */
export function removeAll(): void {
  for (const d of [...alive]) {
    try {
      d.remove();
    } catch {
      // at exit: nothing to report to
    }
  }
}
