import { describe, expect, it } from 'vitest';
import * as ext from '../../src/messages/extensions.js';
import { isHelloRetryRequest } from '../../src/messages/handshake.js';
import { ExtensionType, HandshakeType, NamedGroup } from '../../src/registry.js';
import type { RawExtension, ServerHello } from '../../src/messages/types.js';
import { mutate } from '../helpers/mitm.js';
import { expectAbort, scenario } from '../helpers/negative.js';

/**
 * Code points the registry does not list, where the state machine needs a listed one (issue 12
 * item 4): a decoded group reaches the key exchange only through isNamedGroup, so a server
 * naming a GREASE (RFC 8701) or unassigned group is refused like any group we did not offer
 * (RFC 8446 §4.1.4, §4.2.8: illegal_parameter), never handed to the provider.
 */

const replaceExtension = (extensions: RawExtension[], type: number, data: Uint8Array): RawExtension[] => extensions.map((e) => (e.type === type ? { type, data } : e));

const RETRY = {
  client: { groups: [NamedGroup.x25519, NamedGroup.secp384r1], keyShareGroups: [NamedGroup.x25519] },
  server: { groups: [NamedGroup.secp384r1] },
};

const editServerHello = (retry: boolean, edit: (sh: ServerHello) => void) =>
  mutate('server', HandshakeType.server_hello, (sh) => {
    if (isHelloRetryRequest(sh) !== retry) return false;
    edit(sh);
  });

describe('unlisted groups from the server', { timeout: 15_000 }, () => {
  for (const [what, group] of [
    ['GREASE 0x2a2a', 0x2a2a],
    ['unassigned 0x6399', 0x6399],
  ] as const) {
    it(`client: HelloRetryRequest asking for ${what} → illegal_parameter`, async () => {
      const s = await scenario({
        ...RETRY,
        edits: [editServerHello(true, (hrr) => void (hrr.extensions = replaceExtension(hrr.extensions, ExtensionType.key_share, ext.buildKeyShareHelloRetryRequest(group))))],
      });
      expectAbort(s, 'client', 'illegal_parameter', 'hello_retry_unoffered_group');
      expect(s.ends.client.errors.map((e) => e.message)).toEqual([expect.stringContaining('which was not offered')]);
    });

    it(`client: ServerHello key_share in ${what} → illegal_parameter`, async () => {
      const s = await scenario({
        edits: [
          editServerHello(false, (sh) => {
            const share = ext.parseKeyShareServerHello(sh.extensions.find((e) => e.type === ExtensionType.key_share)!.data);
            sh.extensions = replaceExtension(sh.extensions, ExtensionType.key_share, ext.buildKeyShareServerHello({ group, keyExchange: share.keyExchange }));
          }),
        ],
      });
      expectAbort(s, 'client', 'illegal_parameter', 'unoffered_key_share_group');
      expect(s.ends.client.errors.map((e) => e.message)).toEqual([expect.stringContaining('answers none of ours')]);
    });
  }
});
