import { readFileSync } from 'node:fs';
import { TrustStore } from '../x509/truststore.js';
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

/** A --ca file must hold certificates: anything else is a usage error naming the file. */
export function readCaFile(path: string): Buffer {
  const pem = readInputFile(path, '--ca');
  try {
    TrustStore.fromPem(pem, `--ca ${path}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return pem;
}
