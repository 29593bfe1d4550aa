import { Buffer } from 'node:buffer';
import { installNativeBytes } from '../wire/native-bytes.js';

/**
 * Installs Buffer's native conversions for the engine (wire/native-bytes.ts) when this module
 * loads: the Node entry and the Node API modules import it for that effect (package.json lists
 * it under "sideEffects" so bundlers keep it). Same results as the portable versions, faster.
 */
installNativeBytes({
  // allocUnsafeSlow: memory of its own, never Node's shared pool (whose views would alias).
  uninitialized(length) {
    const b = Buffer.allocUnsafeSlow(length);
    return new Uint8Array(b.buffer, b.byteOffset, length);
  },
  latin1: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'),
  base64(text) {
    const b = Buffer.from(text, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
});
