import { CliError } from './errors';

/** `ioready watch PATH...` (coming: needs the toolkit's inotify). */
export async function watch(_args: string[]): Promise<number> {
  throw new CliError('not available yet');
}
