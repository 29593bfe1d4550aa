import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, expectOneLine, runCli, stopCliProcesses } from './cli.js';

/** `wiretls demo`, the command README tells people to try first: offline, traced, exit 0. */

beforeAll(() => ensureBuilt(), 120_000);
afterAll(stopCliProcesses);

describe('wiretls demo', () => {
  it('makes a CA, serves, connects, prints the traced handshake and the echo, exits 0', async () => {
    const result = await runCli(['demo'], { timeoutMs: 15_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/server listening on 127\.0\.0\.1:\d+/);
    // The handshake in order, as the client sees it.
    const steps = [
      'C → S  ClientHello',
      'S → C  ServerHello',
      'S → C  EncryptedExtensions',
      'S → C  Certificate ',
      'S → C  CertificateVerify',
      'S → C  Finished',
      'C → S  Finished',
    ];
    let from = 0;
    for (const step of steps) {
      const at = out.indexOf(step, from);
      expect(at, `${step} after position ${from}`).toBeGreaterThanOrEqual(0);
      from = at;
    }
    expect(out).toMatch(/derived SERVER_HANDSHAKE_TRAFFIC_SECRET/);
    expect(out).toMatch(/handshake complete: TLSv1\.3, TLS_\w+, \w+, server signed with ecdsa_secp256r1_sha256, certificate verified/);
    expect(out).toContain('client → server: "hello from the wiretls demo"');
    expect(out).toContain('server → client: "hello from the wiretls demo"');
  }, 20_000);

  it('takes no arguments: a usage error, exit 1', async () => {
    const result = await runCli(['demo', '--fast']);
    expect(result.status).toBe(1);
    expectOneLine(result.stderr);
  }, 20_000);
});
