import { appendFileSync } from 'node:fs';
import type { SecretName } from '../keyschedule.js';
import { bytesToHex } from '../wire/bytes.js';

/**
 * One line of the NSS key log format (SSLKEYLOGFILE), which Wireshark and tshark read to
 * decrypt captures: `<LABEL> <ClientHello.random hex> <secret hex>\n`. This is the one place
 * wiretls writes secrets out, and only when the caller asked for it.
 */
export function keylogLine(name: SecretName, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${name} ${bytesToHex(clientRandom)} ${bytesToHex(secret)}\n`;
}

/**
 * Like browsers and OpenSSL-based tools: when SSLKEYLOGFILE names a file, every secret is
 * appended to it. Read at each use, so it can be set after import. A file that cannot be
 * written is ignored: key logging is a debugging aid and must never break a connection.
 */
export function appendToKeylogFile(line: string): void {
  const file = process.env.SSLKEYLOGFILE;
  if (!file) return;
  try {
    appendFileSync(file, line);
  } catch {
    // deliberately ignored, see above
  }
}
