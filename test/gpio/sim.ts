// Simulated GPIO chips for the GPIO suites (run in the VM: scripts/vm-run.sh), made through
// gpio-sim's configfs as libgpiod's gpiosim helper does: a bank with a label and line
// names, live on and off. An input is driven by writing the simulated pull; an output is
// read back from the simulated value.
import fs from 'node:fs';
import path from 'node:path';

const CONFIGFS = '/sys/kernel/config/gpio-sim';

/** True where simulated chips can be made (the VM: gpio-sim loaded, configfs mounted, root). */
export const hasSim: boolean = fs.existsSync(CONFIGFS) && process.getuid?.() === 0;

let serial = 0;

export interface SimOptions {
  /** The bank's label (what Chip.info().label shows). Default 'ioready-sim'. */
  label?: string;
  /** Number of lines. Default 8. */
  lines?: number;
  /** Line names by offset. */
  names?: Record<number, string>;
}

/** One live simulated chip (one bank). */
export class SimChip {
  readonly dir: string;
  readonly path: string;
  readonly name: string;
  readonly label: string;
  readonly lines: number;
  readonly #sysfs: string;
  #live = true;

  constructor(options: SimOptions = {}) {
    this.label = options.label ?? 'ioready-sim';
    this.lines = options.lines ?? 8;
    this.dir = path.join(CONFIGFS, `ioready-${process.pid}-${serial++}`);
    const bank = path.join(this.dir, 'bank0');
    fs.mkdirSync(this.dir);
    fs.mkdirSync(bank);
    fs.writeFileSync(path.join(bank, 'num_lines'), String(this.lines));
    fs.writeFileSync(path.join(bank, 'label'), this.label);
    for (const [offset, name] of Object.entries(options.names ?? {})) {
      fs.mkdirSync(path.join(bank, `line${offset}`));
      fs.writeFileSync(path.join(bank, `line${offset}`, 'name'), name);
    }
    fs.writeFileSync(path.join(this.dir, 'live'), '1');
    const dev = fs.readFileSync(path.join(this.dir, 'dev_name'), 'utf8').trim();
    this.name = fs.readFileSync(path.join(bank, 'chip_name'), 'utf8').trim();
    this.path = `/dev/${this.name}`;
    this.#sysfs = `/sys/devices/platform/${dev}/${this.name}`;
  }

  /** Drive an input: the simulated pull of line `offset`. */
  pull(offset: number, pull: 'pull-up' | 'pull-down'): void {
    fs.writeFileSync(`${this.#sysfs}/sim_gpio${offset}/pull`, pull);
  }

  /** The physical value the line has (an output's driven value, an input's pull). */
  value(offset: number): 0 | 1 {
    return Number(fs.readFileSync(`${this.#sysfs}/sim_gpio${offset}/value`, 'utf8').trim()) as 0 | 1;
  }

  /** Take the chip away (live 0) and delete its configuration. Idempotent. */
  remove(): void {
    if (!this.#live) return;
    this.#live = false;
    fs.writeFileSync(path.join(this.dir, 'live'), '0');
    const bank = path.join(this.dir, 'bank0');
    for (const e of fs.readdirSync(bank)) if (/^line\d+$/.test(e)) fs.rmdirSync(path.join(bank, e));
    fs.rmdirSync(bank);
    fs.rmdirSync(this.dir);
  }
}
