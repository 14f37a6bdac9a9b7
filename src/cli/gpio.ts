/**
 * `ioready gpio info|get|set|mon`: what libgpiod's gpioinfo, gpioget, gpioset
 * and gpiomon do, on ioready's GPIO API (the character device, no libgpiod),
 * for checking the wiring of a button or an LED without installing anything.
 *
 * Lines by offset (`17`) or by name (`GPIO17`). A name is looked for on every
 * chip unless --chip is given; an offset needs a chip: --chip, else the only
 * chip there is, else the Raspberry Pi's header chip (found by its label).
 */
import { type Chip, type ChipInfo, type LineInfo, findLine, gpioChips, openChip, requestLines } from '../gpio/chip';
import type { EdgeEvent, LineRequest } from '../gpio/request';
import type { LineSettings } from '../gpio/settings';
import { parseCommandLine } from './args';
import { CliError, UsageError } from './errors';
import { Logger } from './log';
import { onStopSignals } from './signals';
import { FdWriter } from './writer';

export const GPIO_USAGE = `Usage: ioready gpio <command> [options]

Commands:
  info [CHIP...]                 the chips (or these) and their lines
  get [--chip C] LINE...         print the lines' values, as inputs
  set [--chip C] LINE=VALUE...   drive the lines as outputs until Ctrl-C
  mon [--chip C] LINE...         print the lines' edges as they happen

LINE is an offset (17) or a line's name (GPIO17); CHIP a path (/dev/gpiochip0),
a name (gpiochip0), a number (0) or a label (pinctrl-rp1). A name is looked for
on every chip; an offset needs --chip where there is more than one chip and no
Raspberry Pi header chip (pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835).

Options:
  -c, --chip C        the chip of the lines
  -b, --bias B        pull-up, pull-down, disabled or as-is (get, mon; default as-is)
  -l, --active-low    the lines are active-low (values and edges inverted)
  -e, --edge E        both, rising or falling (mon; default both)
  -d, --debounce MS   debounce period in milliseconds, done by the kernel (mon)
  -n, --num-events N  exit after N events (mon)
  -h, --help          show this help

VALUE is 1 or 0 (also on/off, active/inactive, true/false). mon prints one line
per event on stdout: the kernel's timestamp (CLOCK_MONOTONIC seconds), the
edge, the chip, the offset and the line's name:
  1234.567890123 rising gpiochip0 17 "GPIO17"
Exits 0 at Ctrl-C (SIGINT) or SIGTERM, 1 when a line cannot be had (busy,
no such line, permission denied), 2 for a bad command line.
`;

/** Raspberry Pi header chips, by label: where a bare offset goes when there are several chips. */
const PI_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

const BIASES = ['pull-up', 'pull-down', 'disabled', 'as-is'] as const;
const EDGES = ['both', 'rising', 'falling'] as const;
/** The largest debounce the uAPI holds (microseconds in a u32). */
const MAX_DEBOUNCE_MS = Math.floor(0xffffffff / 1000);

export interface GpioOptions {
  command: 'info' | 'get' | 'set' | 'mon' | undefined;
  chip: string | undefined;
  bias: LineSettings['bias'];
  activeLow: boolean;
  edge: 'both' | 'rising' | 'falling';
  debounceMs: number;
  numEvents: number;
  /** info: chips; get, mon: lines; set: LINE=VALUE */
  args: string[];
  help: boolean;
}

function pick<T extends string>(value: string | undefined, allowed: readonly T[], option: string, dflt: T): T {
  if (value === undefined) return dflt;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} must be ${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}, not '${value}'`);
}

function count(value: string | undefined, option: string, max: number): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new UsageError(`${option} must be a whole number from 0 to ${max}, not '${value}'`);
  return Number(value);
}

/**
 * Parse `gpio`'s arguments.
 * @throws UsageError for an unknown command or option, a bad value, or a missing LINE
 */
export function parseGpioArgs(args: string[]): GpioOptions {
  const { values, positionals } = parseCommandLine(
    args,
    {
      chip: { type: 'string', short: 'c' },
      bias: { type: 'string', short: 'b' },
      'active-low': { type: 'boolean', short: 'l' },
      edge: { type: 'string', short: 'e' },
      debounce: { type: 'string', short: 'd' },
      'num-events': { type: 'string', short: 'n' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  const [word, ...rest] = positionals;
  const help = values.help ?? false;
  let command: GpioOptions['command'];
  if (word === 'info' || word === 'get' || word === 'set' || word === 'mon') command = word;
  else if (word !== undefined) throw new UsageError(`unknown gpio command '${word}' (info, get, set or mon)`);
  else if (!help) throw new UsageError('give a command: info, get, set or mon');
  const o: GpioOptions = {
    command,
    chip: values.chip,
    bias: pick(values.bias, BIASES, '--bias', 'as-is'),
    activeLow: values['active-low'] ?? false,
    edge: pick(values.edge, EDGES, '--edge', 'both'),
    debounceMs: count(values.debounce, '--debounce', MAX_DEBOUNCE_MS),
    numEvents: count(values['num-events'], '--num-events', 0x7fffffff),
    args: rest,
    help,
  };
  if (help) return o;
  const only = (option: string, given: boolean, commands: string[]): void => {
    if (given && !commands.includes(command!)) throw new UsageError(`${option} is not an option of 'gpio ${command}'`);
  };
  only('--chip', values.chip !== undefined, ['get', 'set', 'mon']);
  only('--bias', values.bias !== undefined, ['get', 'mon']);
  only('--active-low', values['active-low'] !== undefined, ['get', 'set', 'mon']);
  only('--edge', values.edge !== undefined, ['mon']);
  only('--debounce', values.debounce !== undefined, ['mon']);
  only('--num-events', values['num-events'] !== undefined, ['mon']);
  if (command !== 'info' && rest.length === 0) throw new UsageError(`give at least one ${command === 'set' ? 'LINE=VALUE' : 'LINE'}`);
  if (command === 'set') for (const a of rest) parseAssignment(a);
  return o;
}

const VALUES: Record<string, 0 | 1> = { 0: 0, 1: 1, off: 0, on: 1, inactive: 0, active: 1, false: 0, true: 1 };

function parseAssignment(arg: string): { line: string; value: 0 | 1 } {
  const eq = arg.lastIndexOf('=');
  if (eq <= 0) throw new UsageError(`'${arg}' is not LINE=VALUE`);
  const value = VALUES[arg.slice(eq + 1).toLowerCase()];
  if (value === undefined) throw new UsageError(`'${arg}': VALUE must be 1 or 0 (on/off, active/inactive, true/false)`);
  return { line: arg.slice(0, eq), value };
}

/** A system error in words a user acts on. */
function reason(err: unknown, what: string): CliError {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EBUSY':
      return new CliError(`${what} is busy (EBUSY): another program holds it`);
    case 'EACCES':
    case 'EPERM':
      return new CliError(`${what}: permission denied (${e.code}): run as root, or join the group of /dev/gpiochip* (gpio on Raspberry Pi OS) and log in again`);
    case 'ENOENT':
      return new CliError(`${what}: ${e.message.replace(/^ENOENT: /, '')}`);
    case 'ENODEV':
      return new CliError(`${what}: the chip went away (ENODEV)`);
    default:
      return new CliError(`${what}: ${e?.message ?? String(err)}`);
  }
}

/** A chip as the user named it: a bare number is gpiochipN. */
function open(name: string): Chip {
  try {
    return openChip(/^\d+$/.test(name) ? `gpiochip${name}` : name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no such chip '${name}'`);
    throw reason(err, `chip '${name}'`);
  }
}

/** The chip a bare offset means without --chip (see the module's comment). */
function defaultChip(chips: ChipInfo[]): string {
  if (chips.length === 1) return chips[0]!.path;
  for (const label of PI_LABELS) {
    const pi = chips.find((c) => c.label === label);
    if (pi !== undefined) return pi.path;
  }
  if (chips.length === 0) throw new CliError('no GPIO chip on this machine (/dev/gpiochip*)');
  throw new UsageError(`which chip? there are ${chips.length} (${chips.map((c) => c.name).join(', ')}): give --chip`);
}

/** One chip's lines of a command line, as offsets. */
interface Group {
  chip: string;
  offsets: number[];
  /** offset -> the line as the user wrote it */
  given: Map<number, string>;
}

/**
 * Find every LINE: by offset or name, grouped per chip in the order given.
 * @throws CliError for a line no chip has, UsageError for an offset with no chip to go to
 */
function resolveLines(lines: string[], chipName: string | undefined): Group[] {
  const groups = new Map<string, Group>();
  let chip: Chip | null = null;
  let chips: ChipInfo[] | null = null;
  const add = (path: string, offset: number, given: string): void => {
    let g = groups.get(path);
    if (g === undefined) groups.set(path, (g = { chip: path, offsets: [], given: new Map() }));
    if (g.given.has(offset)) throw new UsageError(`line '${given}' is given twice (as '${g.given.get(offset)}')`);
    g.offsets.push(offset);
    g.given.set(offset, given);
  };
  try {
    if (chipName !== undefined) chip = open(chipName);
    for (const line of lines) {
      if (/^\d+$/.test(line)) {
        const path = chip?.path ?? defaultChip((chips ??= gpioChips()));
        const n = Number(line);
        const have = chip?.info().lines ?? chips!.find((c) => c.path === path)!.lines;
        if (n >= have) throw new CliError(`no line ${n} on ${path.replace('/dev/', '')} (it has ${have}: 0-${have - 1})`);
        add(path, n, line);
      } else if (chip !== null) {
        let offset: number;
        try {
          offset = chip.lineOffset(line);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no line named '${line}' on ${chip.path.replace('/dev/', '')}`);
          throw err;
        }
        add(chip.path, offset, line);
      } else {
        const found = findLine(line);
        if (found === null) throw new CliError(`no line named '${line}' on any chip`);
        add(found.chip, found.offset, line);
      }
    }
  } finally {
    chip?.close();
  }
  return [...groups.values()];
}

/** Request each group's lines with these settings; all or nothing. */
function requestAll(groups: Group[], settings: (offset: number) => LineSettings): LineRequest[] {
  const requests: LineRequest[] = [];
  try {
    for (const g of groups) {
      const lines = new Map<number, LineSettings>(g.offsets.map((o) => [o, settings(o)]));
      try {
        requests.push(requestLines(g.chip, { consumer: 'ioready', lines }));
      } catch (err) {
        const names = g.offsets.map((o) => g.given.get(o)).join(', ');
        throw reason(err, `${g.offsets.length === 1 ? 'line' : 'lines'} ${names} of ${g.chip.replace('/dev/', '')}`);
      }
    }
  } catch (err) {
    for (const r of requests) r.release();
    throw err;
  }
  return requests;
}

function quoted(s: string): string {
  return JSON.stringify(s);
}

/** gpioinfo's line, with the edge and debounce as flags too. */
export function formatLineInfo(l: LineInfo): string {
  const flags: string[] = [];
  if (l.used) flags.push('used');
  if (l.drive === 'open-drain' || l.drive === 'open-source') flags.push(l.drive);
  if (l.bias === 'pull-up' || l.bias === 'pull-down') flags.push(l.bias);
  else if (l.bias === 'disabled') flags.push('bias-disabled');
  if (l.edge !== undefined && l.edge !== 'none') flags.push(`${l.edge}-edge${l.edge === 'both' ? 's' : ''}`);
  if (l.debounceUs > 0) flags.push(`debounce=${l.debounceUs}us`);
  const name = l.name === '' ? 'unnamed' : quoted(l.name);
  const consumer = l.consumer === '' ? 'unused' : quoted(l.consumer);
  return `\tline ${String(l.offset).padStart(3)}: ${name.padStart(12)} ${consumer.padStart(12)} ${l.direction.padStart(7)} ${(l.activeLow ? 'active-low' : 'active-high').padStart(12)}${flags.length > 0 ? ` [${flags.join(',')}]` : ''}`;
}

function info(o: GpioOptions, out: string[]): void {
  const names = o.args.length > 0 ? o.args : gpioChips().map((c) => c.path);
  if (names.length === 0) throw new CliError('no GPIO chip on this machine (/dev/gpiochip*)');
  for (const name of names) {
    const chip = open(name);
    try {
      const ci = chip.info();
      out.push(`${ci.name} [${ci.label}] (${ci.lines} line${ci.lines === 1 ? '' : 's'})`);
      for (let i = 0; i < ci.lines; i++) out.push(formatLineInfo(chip.lineInfo(i)));
    } catch (err) {
      throw reason(err, `chip '${name}'`);
    } finally {
      chip.close();
    }
  }
}

function get(o: GpioOptions): string {
  const groups = resolveLines(o.args, o.chip);
  const requests = requestAll(groups, () => ({ direction: 'input', bias: o.bias, activeLow: o.activeLow }));
  try {
    // In the order given, whichever chip each line is on.
    const values = new Map<string, number>();
    groups.forEach((g, i) => {
      const v = requests[i]!.getValues(g.offsets);
      g.offsets.forEach((off, j) => values.set(g.given.get(off)!, v[j]!));
    });
    return o.args.map((a) => values.get(a)).join(' ');
  } finally {
    for (const r of requests) r.release();
  }
}

/** Resolve at the first SIGINT/SIGTERM (the second exits at once: see signals.ts). */
function untilStopped(log: Logger, what: string): { stopped: Promise<void>; remove: () => void } {
  let remove = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    remove = onStopSignals(log, what, () => resolve());
  });
  return { stopped, remove };
}

async function set(o: GpioOptions, log: Logger): Promise<number> {
  const assignments = o.args.map(parseAssignment);
  const groups = resolveLines(assignments.map((a) => a.line), o.chip);
  const value = new Map(assignments.map((a) => [a.line, a.value]));
  const requests = requestAll(groups, () => ({ direction: 'output', activeLow: o.activeLow }));
  const { stopped, remove } = untilStopped(log, 'releasing the lines');
  try {
    groups.forEach((g, i) => {
      const values = new Map<number, 0 | 1>(g.offsets.map((off) => [off, value.get(g.given.get(off)!)!]));
      requests[i]!.setValues(values);
    });
    log.info(`Holding ${o.args.join(' ')} until Ctrl-C`);
    // Nothing else keeps the process alive while it holds the lines.
    const keepAlive = setInterval(() => {}, 0x7fffffff);
    await stopped;
    clearInterval(keepAlive);
  } finally {
    for (const r of requests) r.release();
    remove();
  }
  return 0;
}

function formatEvent(ev: EdgeEvent, chipName: string, names: Map<number, string>): string {
  const s = ev.timestampNs / 1_000_000_000n;
  const ns = String(ev.timestampNs % 1_000_000_000n).padStart(9, '0');
  const name = names.get(ev.offset);
  return `${s}.${ns} ${ev.type} ${chipName} ${ev.offset}${name ? ` ${quoted(name)}` : ''}\n`;
}

async function mon(o: GpioOptions, log: Logger): Promise<number> {
  const groups = resolveLines(o.args, o.chip);
  const settings = (): LineSettings => ({
    direction: 'input', edge: o.edge, bias: o.bias, activeLow: o.activeLow, debounceUs: o.debounceMs * 1000,
  });
  let out: FdWriter;
  try {
    out = new FdWriter(1, { nonblocking: true });
  } catch (err) {
    throw new CliError(`stdout: ${(err as Error).message}`);
  }
  let requests: LineRequest[];
  try {
    requests = requestAll(groups, settings);
  } catch (err) {
    out.close();
    throw err;
  }
  const abort = new AbortController();
  let code = 0;
  let seen = 0;
  const { stopped, remove } = untilStopped(log, 'stopping');
  void stopped.then(() => abort.abort());
  out.onError = (err) => {
    log.error(`stdout: ${err.message}`);
    code = 1;
    abort.abort();
  };
  const watchOne = async (g: Group, r: LineRequest): Promise<void> => {
    const chipName = g.chip.replace('/dev/', '');
    const names = new Map<number, string>();
    {
      const chip = openChip(g.chip);
      try {
        for (const off of g.offsets) names.set(off, chip.lineInfo(off).name);
      } finally {
        chip.close();
      }
    }
    let last = 0;
    try {
      for await (const ev of r.edgeEvents({ signal: abort.signal })) {
        // Events already read in one batch still come after the abort: not past N.
        if (abort.signal.aborted || (o.numEvents > 0 && seen >= o.numEvents)) break;
        if (last !== 0 && ev.seqno > last + 1) {
          log.warning(`${chipName}: ${ev.seqno - last - 1} event(s) lost: the kernel's buffer was full`);
        }
        last = ev.seqno;
        out.push(Buffer.from(formatEvent(ev, chipName, names)));
        if (o.numEvents > 0 && ++seen >= o.numEvents) {
          abort.abort();
          break;
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return;
      log.error(reason(err, chipName).message);
      code = 1;
      abort.abort();
    }
  };
  const offsetsText = groups.map((g) => `${g.chip.replace('/dev/', '')} ${g.offsets.join(',')}`).join('; ');
  log.info(`Monitoring ${offsetsText} (${o.edge} edge${o.edge === 'both' ? 's' : ''}), Ctrl-C to stop`);
  try {
    await Promise.all(groups.map((g, i) => watchOne(g, requests[i]!)));
  } finally {
    for (const r of requests) r.release();
    await out.drain();
    remove();
    out.close();
  }
  return code;
}

/**
 * Run `ioready gpio ...`.
 * @returns the exit code
 * @throws UsageError / CliError
 */
export async function gpio(args: string[]): Promise<number> {
  const o = parseGpioArgs(args);
  if (o.help) {
    process.stdout.write(GPIO_USAGE);
    return 0;
  }
  const log = new Logger('ioready.gpio', 'info');
  try {
    switch (o.command) {
      case 'info': {
        const lines: string[] = [];
        info(o, lines);
        process.stdout.write(`${lines.join('\n')}\n`);
        return 0;
      }
      case 'get':
        process.stdout.write(`${get(o)}\n`);
        return 0;
      case 'set':
        return await set(o, log);
      default:
        return await mon(o, log);
    }
  } finally {
    log.flush();
  }
}
