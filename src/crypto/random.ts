/**
 * The platform CSPRNG (crypto.getRandomValues, which refuses more than 65536 bytes per call, so
 * in as many calls as it takes): the portable providers' default random source. A module of its
 * own, so that importing it pulls in no key-exchange code.
 */
export function defaultRandom(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}
