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
