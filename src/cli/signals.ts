/**
 * SIGINT and SIGTERM for every subcommand: the first asks it to stop (it
 * flushes what it holds and exits 0), a second exits at once, without
 * flushing, with 128 + the signal's number (130, 143), as a shell reports a
 * process killed by it.
 */
import { constants } from 'node:os';
import type { Logger } from './log';

/**
 * Call `onStop(name)` at the first SIGINT or SIGTERM, after logging
 * `${name}: ${what}` at info; a second one logs a warning and exits at once.
 * @returns a function that removes the handlers: call it once flushed, so
 *   that a signal while flushing still exits at once
 */
export function onStopSignals(log: Logger, what: string, onStop: (name: NodeJS.Signals) => void): () => void {
  let seen = false;
  const handler = (name: NodeJS.Signals): void => {
    if (seen) {
      log.warning(`${name} again: exiting without flushing`);
      log.flush();
      process.exit(128 + constants.signals[name]);
    }
    seen = true;
    log.info(`${name}: ${what}`);
    onStop(name);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
