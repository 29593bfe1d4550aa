import { describe, expect, it } from 'vitest';
import { alertReceived } from '../src/errors.js';
import { AlertDescription, CipherSuite, NamedGroup, SignatureScheme, isAlertName, isNamedGroup, isSignatureScheme, lookupCode } from '../src/registry.js';

/**
 * The guards are the only way a decoded code point becomes a NamedGroup or SignatureScheme
 * (issue 12 item 4): they must take every value the registry lists and nothing else, GREASE
 * (RFC 8701) and unassigned values above all, since those are what a peer sends to probe us.
 */

const GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0xfafa];

describe('code point guards', () => {
  it('isNamedGroup takes every listed group and nothing else', () => {
    for (const value of Object.values(NamedGroup)) expect(isNamedGroup(value), `0x${value.toString(16)}`).toBe(true);
    for (const value of [...GREASE, 0x0000, 0x0016, 0x001a, 0x0105, 0x11eb, 0x11ed, 0x6399, 0xffff]) expect(isNamedGroup(value), `0x${value.toString(16)}`).toBe(false);
  });

  it('isSignatureScheme takes every listed scheme and nothing else', () => {
    for (const value of Object.values(SignatureScheme)) expect(isSignatureScheme(value), `0x${value.toString(16)}`).toBe(true);
    for (const value of [...GREASE, 0x0000, 0x0402, 0x0803, 0x080c, 0x0904, 0xffff]) expect(isSignatureScheme(value), `0x${value.toString(16)}`).toBe(false);
  });

  it('a value of another table is not a member by accident', () => {
    // TLS_AES_128_GCM_SHA256 (0x1301) is neither a group nor a scheme; x25519 (0x001d) is no scheme.
    expect(isNamedGroup(CipherSuite.TLS_AES_128_GCM_SHA256)).toBe(false);
    expect(isSignatureScheme(CipherSuite.TLS_AES_128_GCM_SHA256)).toBe(false);
    expect(isSignatureScheme(NamedGroup.x25519)).toBe(false);
  });

  it("isAlertName takes the registry's names, not what alertName prints for others, nor Object's own keys", () => {
    for (const name of Object.keys(AlertDescription)) expect(isAlertName(name)).toBe(true);
    for (const name of ['unknown(0x00ff)', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '', 'Close_Notify']) expect(isAlertName(name), name).toBe(false);
  });

  it('a received alert keeps its name only when the registry lists it', () => {
    expect(alertReceived(AlertDescription.bad_record_mac).alert).toBe('bad_record_mac');
    expect(alertReceived(255).alert).toBeUndefined();
    expect(alertReceived(255).message).toBe('peer sent fatal alert unknown(0x00ff)');
  });

  it('lookupCode finds names of the table only', () => {
    expect(lookupCode(NamedGroup, 'x25519')).toBe(0x001d);
    for (const name of ['toString', '__proto__', 'X25519', 'unknown(0x001d)']) expect(lookupCode(NamedGroup, name), name).toBeUndefined();
  });
});
