import { describe, expect, it } from 'vitest';
import { CODEC_TARGETS, codecCaseId, runCodecCase } from '../fuzz/codecs.js';

/**
 * Property tests for every handshake message and extension codec, the deframer and the
 * handshake reassembler (see test/fuzz/codecs.ts): valid values round-trip; any bytes decode
 * to a value that re-encodes to exactly them or are refused with decode_error /
 * illegal_parameter, never another exception; any chunking gives the same records. Seeded: a
 * failure prints the case to replay with `npm run fuzz -- --replay <case>`; `npm run fuzz`
 * runs the same targets for as long as it is given.
 */

const CASES_PER_TARGET = 2000;

describe('codec properties (seeded)', () => {
  for (const target of CODEC_TARGETS) {
    it(`${target.name}: ${CASES_PER_TARGET} generated and damaged inputs`, () => {
      const problems: string[] = [];
      for (let seed = 1; seed <= CASES_PER_TARGET && problems.length < 5; seed++) {
        const problem = runCodecCase(target, seed);
        if (problem) problems.push(`${codecCaseId(target, seed)}: ${problem}`);
      }
      expect(problems).toEqual([]);
    });
  }
});
