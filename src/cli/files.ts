import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';

/** Reads a file named on the command line; failure is a usage error naming the flag and file. */
export function readInputFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`${flag} ${path}: ${reason}`);
  }
}
