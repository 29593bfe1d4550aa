import { spawnSync } from 'node:child_process';
import {
  type KeyObject,
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import type { AeadName, CryptoProvider, HashName } from '../../src/crypto/provider.js';
import { cipherSuiteParams } from '../../src/crypto/suites.js';
import { KeySchedule, finishedVerifyData, hkdfExpandLabel, trafficKeys } from '../../src/keyschedule.js';
import { CipherSuite, ContentType, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { RecordProtector } from '../../src/record/protection.js';
import { type Options, type Report, interleave, interleaveAsync, makeRow, rate } from '../harness.js';
import { type ProviderName, providers, syncProviders } from '../providers.js';
import { derOf, fixtureKeyPem, spkiOfCertificate } from '../fixtures.js';

const AEADS: { name: AeadName; node: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'; keyLength: number }[] = [
  { name: 'AES-128-GCM', node: 'aes-128-gcm', keyLength: 16 },
  { name: 'AES-256-GCM', node: 'aes-256-gcm', keyLength: 32 },
  { name: 'CHACHA20-POLY1305', node: 'chacha20-poly1305', keyLength: 32 },
];

/** node:crypto as an application would use it per record: a Cipheriv per record, raw key bytes. */
function nodeSeal(algorithm: string, key: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad);
  const out = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([out, cipher.getAuthTag()]);
}

function nodeOpen(algorithm: string, key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  const decipher = createDecipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = decipher.update(sealed.subarray(0, sealed.length - 16));
  decipher.final();
  return out;
}

export function aeadSuite(report: Report, options: Options): void {
  report.section('AEAD seal / open, one record (MB/s of plaintext), vs node:crypto createCipheriv per record');
  for (const providerName of ['node', 'noble'] as ProviderName[]) {
    const provider = providers[providerName]();
    for (const size of [16384, 1024]) {
      for (const aead of AEADS) {
        for (const op of ['seal', 'open'] as const) {
          const name = `AEAD ${op} ${aead.name} ${size === 16384 ? '16 KiB' : '1 KiB'}`;
          if (!report.wants(`${name} ${providerName}`)) continue;
          const key = randomBytes(aead.keyLength);
          const nonce = randomBytes(12);
          const aad = Buffer.from([23, 3, 3, (size + 17) >> 8, (size + 17) & 0xff]);
          const plaintext = randomBytes(size);
          const cipher = provider.aead(aead.name, key);
          const sealed = cipher.seal(nonce, aad, plaintext);
          const sealedBuffer = Buffer.from(sealed);
          const ours = op === 'seal' ? () => cipher.seal(nonce, aad, plaintext) : () => cipher.open(nonce, aad, sealed);
          const theirs = op === 'seal' ? () => nodeSeal(aead.node, key, nonce, aad, plaintext) : () => nodeOpen(aead.node, key, nonce, aad, sealedBuffer);
          const result = interleave(ours, theirs, slower(options, providerName), size / 1e6);
          report.add(makeRow({ name, unit: 'MB/s', provider: providerName, baselineName: 'node:crypto' }, result.a, result.b));
        }
      }
    }
  }
}

/** noble is 30-50× slower: fewer, longer slices would only cost time without adding precision. */
function slower(options: Options, provider: ProviderName): Options {
  return provider === 'noble' ? { ...options, rounds: Math.max(3, Math.ceil(options.rounds / 2)) } : options;
}

export function recordSuite(report: Report, options: Options): void {
  report.section("Record layer: protect + unprotect of a 16 KiB record (MB/s) vs the same provider's raw AEAD seal + open");
  for (const providerName of ['node', 'noble'] as ProviderName[]) {
    const provider = providers[providerName]();
    for (const suite of [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]) {
      const params = cipherSuiteParams.get(suite)!;
      const name = `record protect+unprotect ${params.aead} 16 KiB`;
      if (!report.wants(`${name} ${providerName}`)) continue;
      const key = randomBytes(params.keyLength);
      const iv = randomBytes(12);
      const writer = new RecordProtector(provider.aead(params.aead, key), iv);
      const reader = new RecordProtector(provider.aead(params.aead, key), iv);
      const content = randomBytes(16384);
      const ours = () => {
        const record = writer.protect(ContentType.application_data, content);
        reader.unprotect(record.subarray(0, 5), record.subarray(5));
      };
      // The floor the layer builds on: the AEAD alone, on the same sizes, same nonce handling cost excluded.
      const raw = provider.aead(params.aead, key);
      const nonce = randomBytes(12);
      const aad = Buffer.from([23, 3, 3, 0x40, 0x11]);
      const inner = randomBytes(16385);
      const theirs = () => {
        const sealed = raw.seal(nonce, aad, inner);
        raw.open(nonce, aad, sealed);
      };
      const result = interleave(ours, theirs, slower(options, providerName), 16384 / 1e6);
      report.add(makeRow({ name, unit: 'MB/s', provider: providerName, baselineName: 'raw AEAD' }, result.a, result.b));
    }
  }
}

/* ----------------------------------------------------------------------------------------- */
/* key exchange                                                                              */
/* ----------------------------------------------------------------------------------------- */

/** One client-side key exchange on node:crypto: fresh key pair, public key out, secret from the peer's share. */
function nodeKeyExchange(group: NamedGroup): ((peer: Uint8Array) => unknown) | null {
  const curves: Partial<Record<number, string>> = {
    [NamedGroup.secp256r1]: 'prime256v1',
    [NamedGroup.secp384r1]: 'secp384r1',
    [NamedGroup.secp521r1]: 'secp521r1',
  };
  const curve = curves[group];
  if (curve) {
    return (peer) => {
      const ecdh = createECDH(curve);
      ecdh.generateKeys();
      ecdh.getPublicKey();
      return ecdh.computeSecret(peer);
    };
  }
  if (group === NamedGroup.x25519 || group === NamedGroup.x448) {
    const type = group === NamedGroup.x25519 ? 'x25519' : 'x448';
    const prefix = Buffer.from(group === NamedGroup.x25519 ? '302a300506032b656e032100' : '3042300506032b656f033900', 'hex');
    return (peer) => {
      // node:tls's own route: a fresh key pair, its raw public key, the peer key imported.
      const pair = generateKeyPairSync(type as 'x25519');
      pair.publicKey.export({ format: 'der', type: 'spki' });
      const publicKey = createPublicKey({ key: Buffer.concat([prefix, peer]), format: 'der', type: 'spki' });
      return diffieHellman({ privateKey: pair.privateKey, publicKey });
    };
  }
  return null;
}

const GROUP_NAMES: [NamedGroup, string][] = [
  [NamedGroup.x25519, 'x25519'],
  [NamedGroup.secp256r1, 'secp256r1'],
  [NamedGroup.secp384r1, 'secp384r1'],
  [NamedGroup.secp521r1, 'secp521r1'],
  [NamedGroup.x448, 'x448'],
  [NamedGroup.X25519MLKEM768, 'X25519MLKEM768'],
];

export function keyExchangeSuite(report: Report, options: Options): void {
  report.section('Key exchange, client side: key generation + shared secret (ops/s) vs node:crypto (Node 20 has no ML-KEM)');
  for (const providerName of ['node', 'noble'] as const) {
    const provider = syncProviders[providerName]();
    for (const [group, groupName] of GROUP_NAMES) {
      const name = `key exchange ${groupName}`;
      if (!report.wants(`${name} ${providerName}`)) continue;
      const serverShare = provider.keyExchange(group)!.respond(provider.keyExchange(group)!.generate().publicKey).publicKey;
      const ours = () => provider.keyExchange(group)!.generate().complete(serverShare);
      const nodeOp = nodeKeyExchange(group);
      const peerForNode = group === NamedGroup.X25519MLKEM768 ? serverShare : provider.keyExchange(group)!.generate().publicKey;
      const theirs = nodeOp ? () => nodeOp(peerForNode) : null;
      const result = interleave(ours, theirs, slower(options, providerName));
      report.add(makeRow({ name, unit: 'ops/s', provider: providerName, baselineName: 'node:crypto' }, result.a, result.b));
    }
  }
}

/* ----------------------------------------------------------------------------------------- */
/* signatures                                                                                */
/* ----------------------------------------------------------------------------------------- */

const SCHEMES: { fixture: string; scheme: SignatureScheme; label: string; hash: HashName | null; pss: boolean }[] = [
  { fixture: 'server-ecdsa-p256', scheme: SignatureScheme.ecdsa_secp256r1_sha256, label: 'ecdsa_secp256r1_sha256', hash: 'sha256', pss: false },
  { fixture: 'server-ecdsa-p384', scheme: SignatureScheme.ecdsa_secp384r1_sha384, label: 'ecdsa_secp384r1_sha384', hash: 'sha384', pss: false },
  { fixture: 'server-ecdsa-p521', scheme: SignatureScheme.ecdsa_secp521r1_sha512, label: 'ecdsa_secp521r1_sha512', hash: 'sha512', pss: false },
  { fixture: 'server-ed25519', scheme: SignatureScheme.ed25519, label: 'ed25519', hash: null, pss: false },
  { fixture: 'server-ed448', scheme: SignatureScheme.ed448, label: 'ed448', hash: null, pss: false },
  { fixture: 'server-rsa2048', scheme: SignatureScheme.rsa_pss_rsae_sha256, label: 'rsa_pss_rsae_sha256 (2048)', hash: 'sha256', pss: true },
  { fixture: 'server-rsapss2048', scheme: SignatureScheme.rsa_pss_pss_sha256, label: 'rsa_pss_pss_sha256 (2048)', hash: 'sha256', pss: true },
];

export async function signatureSuite(report: Report, options: Options): Promise<void> {
  report.section('CertificateVerify signatures: sign and verify (ops/s) vs node:crypto sign/verify with cached KeyObjects');
  // What TLS 1.3 signs: 64 spaces, the context string, 0, a SHA-256 transcript hash (130 bytes).
  const content = Buffer.concat([Buffer.alloc(64, 0x20), Buffer.from('TLS 1.3, server CertificateVerify\0'), randomBytes(32)]);
  for (const providerName of ['node', 'noble'] as ProviderName[]) {
    const provider: CryptoProvider = providers[providerName]();
    for (const s of SCHEMES) {
      const pkcs8 = derOf(fixtureKeyPem(s.fixture));
      const spki = spkiOfCertificate(s.fixture);
      const nodePrivate: KeyObject = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
      const nodePublic: KeyObject = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      const nodeOptions = s.pss ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : s.hash ? { dsaEncoding: 'der' as const } : {};
      const key = await provider.importSigningKey(pkcs8);
      const signature = await key.sign(s.scheme, content);
      if (report.wants(`sign ${s.label} ${providerName}`)) {
        const result = await interleaveAsync(
          () => key.sign(s.scheme, content),
          async () => nodeSign(s.hash, content, { key: nodePrivate, ...nodeOptions }),
          slower(options, providerName),
        );
        report.add(makeRow({ name: `sign ${s.label}`, unit: 'ops/s', provider: providerName, baselineName: 'node:crypto' }, result.a, result.b));
      }
      if (report.wants(`verify ${s.label} ${providerName}`)) {
        const result = await interleaveAsync(
          async () => {
            if (!(await provider.verify(s.scheme, spki, content, signature))) throw new Error('verify failed');
          },
          async () => nodeVerify(s.hash, content, { key: nodePublic, ...nodeOptions }, signature),
          slower(options, providerName),
        );
        report.add(makeRow({ name: `verify ${s.label}`, unit: 'ops/s', provider: providerName, baselineName: 'node:crypto' }, result.a, result.b));
      }
    }
  }
}

/* ----------------------------------------------------------------------------------------- */
/* HKDF and the key schedule                                                                 */
/* ----------------------------------------------------------------------------------------- */

/** HKDF-Expand-Label written directly on node:crypto: the floor for the same derivation. */
function nodeExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.alloc(4 + full.length + context.length);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  return createHmac(hash, secret).update(info).update(Buffer.of(1)).digest().subarray(0, length);
}

/** A client's whole key schedule for one full handshake, on node:crypto directly. */
function nodeKeySchedule(shared: Uint8Array, h1: Uint8Array, h2: Uint8Array, h3: Uint8Array): void {
  const hash = 'sha256';
  const zeros = Buffer.alloc(32);
  const emptyHash = Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex');
  const extract = (salt: Uint8Array, ikm: Uint8Array) => createHmac(hash, salt).update(ikm).digest();
  const early = extract(zeros, zeros);
  const handshake = extract(nodeExpandLabel(hash, early, 'derived', emptyHash, 32), shared);
  const chs = nodeExpandLabel(hash, handshake, 'c hs traffic', h1, 32);
  const shs = nodeExpandLabel(hash, handshake, 's hs traffic', h1, 32);
  for (const s of [chs, shs]) {
    nodeExpandLabel(hash, s, 'key', new Uint8Array(0), 16);
    nodeExpandLabel(hash, s, 'iv', new Uint8Array(0), 12);
  }
  const master = extract(nodeExpandLabel(hash, handshake, 'derived', emptyHash, 32), zeros);
  const cap = nodeExpandLabel(hash, master, 'c ap traffic', h2, 32);
  const sap = nodeExpandLabel(hash, master, 's ap traffic', h2, 32);
  nodeExpandLabel(hash, master, 'exp master', h2, 32);
  for (const s of [cap, sap]) {
    nodeExpandLabel(hash, s, 'key', new Uint8Array(0), 16);
    nodeExpandLabel(hash, s, 'iv', new Uint8Array(0), 12);
  }
  for (const s of [shs, chs])
    createHmac(hash, nodeExpandLabel(hash, s, 'finished', new Uint8Array(0), 32))
      .update(h2)
      .digest();
  nodeExpandLabel(hash, master, 'res master', h3, 32);
}

function wiretlsKeySchedule(provider: CryptoProvider, shared: Uint8Array, h1: Uint8Array, h2: Uint8Array, h3: Uint8Array): void {
  const suite = cipherSuiteParams.get(CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const schedule = new KeySchedule(provider, 'sha256', undefined);
  schedule.enterHandshake(shared);
  const hs = schedule.handshakeTrafficSecrets(h1);
  trafficKeys(provider, suite, hs.client);
  trafficKeys(provider, suite, hs.server);
  schedule.enterMaster();
  const ap = schedule.applicationSecrets(h2);
  trafficKeys(provider, suite, ap.client);
  trafficKeys(provider, suite, ap.server);
  finishedVerifyData(provider, 'sha256', hs.server, h2);
  finishedVerifyData(provider, 'sha256', hs.client, h2);
  schedule.resumptionMasterSecret(h3);
}

export function keyScheduleSuite(report: Report, options: Options): void {
  report.section("HKDF-Expand-Label and one handshake's key schedule (ops/s) vs the same derivations written on node:crypto");
  const secret = randomBytes(32);
  const context = randomBytes(32);
  const [shared, h1, h2, h3] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
  for (const providerName of ['node', 'noble'] as ProviderName[]) {
    const provider = providers[providerName]();
    if (report.wants(`HKDF-Expand-Label ${providerName}`)) {
      const result = interleave(
        () => hkdfExpandLabel(provider, 'sha256', secret, 'c hs traffic', context, 32),
        () => nodeExpandLabel('sha256', secret, 'c hs traffic', context, 32),
        options,
      );
      report.add(makeRow({ name: 'HKDF-Expand-Label sha256, 32 bytes', unit: 'ops/s', provider: providerName, baselineName: 'node:crypto HMAC' }, result.a, result.b));
    }
    if (report.wants(`key schedule ${providerName}`)) {
      const result = interleave(
        () => wiretlsKeySchedule(provider, shared, h1, h2, h3),
        () => nodeKeySchedule(shared, h1, h2, h3),
        options,
      );
      report.add(makeRow({ name: 'key schedule of one full handshake (sha256)', unit: 'ops/s', provider: providerName, baselineName: 'node:crypto HMAC' }, result.a, result.b));
    }
  }
}

/**
 * What a record costs on node:crypto against what the same OpenSSL costs in C. `openssl speed
 * -aead -evp` runs the sequence a TLS stack runs per record (set the nonce, add the AAD,
 * encrypt, take the tag) in one process of C; node:tls pays about that. A record sealed through
 * node:crypto also pays a new Cipheriv, the output buffer update() allocates, and the JS↔C++
 * crossings, and that difference is what bounds wiretls's bulk throughput with the node
 * provider. wiretls's side here is RecordProtector.protect into a reused buffer, which is
 * exactly the sender's per-record work. Skipped when the openssl command is missing.
 */
export function recordCeilingSuite(report: Report, options: Options): void {
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: 10_000 });
  // "OpenSSL 3.0.19 27 Jan 2026 (Library: …)": compare it with the bench header's Node OpenSSL.
  const cOpenssl = version.status === 0 ? version.stdout.split(' ').slice(0, 2).join(' ') : undefined;
  report.section('Sealing a 16 KiB record (MB/s): wiretls record layer on node:crypto vs OpenSSL in C (`openssl speed -aead -evp`, 1 s per round)');
  const provider = providers.node();
  for (const suite of [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256]) {
    const params = cipherSuiteParams.get(suite)!;
    const name = `record seal ${params.aead} 16 KiB vs C`;
    if (!report.wants(`${name} node`)) continue;
    const evpName = AEADS.find((a) => a.name === params.aead)!.node;
    if (cOpenssl === undefined) {
      report.add(makeRow({ name, unit: 'MB/s', provider: 'node', baselineName: 'OpenSSL C (openssl not installed)' }, null, null));
      continue;
    }
    const record = new Uint8Array(5 + 16384 + 1 + 16);
    const writer = new RecordProtector(provider.aead(params.aead, randomBytes(params.keyLength)), randomBytes(12), { allocate: () => record });
    const content = randomBytes(16384);
    const ours = () => writer.protect(ContentType.application_data, content);
    const mine: number[] = [];
    const theirs: number[] = [];
    const rounds = options.quick ? 2 : Math.max(3, Math.ceil(options.rounds / 2));
    rate(ours, options.sliceMs / 4, 64); // warm-up
    for (let round = 0; round < rounds; round++) {
      const measureOurs = () => mine.push((rate(ours, options.sliceMs * 2, 64) * 16384) / 1e6);
      const measureTheirs = () => theirs.push(opensslSealRate(evpName, 1) / 1e6);
      if (round % 2 === 0) {
        measureOurs();
        measureTheirs();
      } else {
        measureTheirs();
        measureOurs();
      }
    }
    report.add(makeRow({ name, unit: 'MB/s', provider: 'node', baselineName: `${cOpenssl} in C` }, mine, theirs));
  }
}

/** Bytes per second `openssl speed -aead` seals in 16 KiB records. */
function opensslSealRate(evpName: string, seconds: number): number {
  const run = spawnSync('openssl', ['speed', '-mr', '-aead', '-evp', evpName, '-bytes', '16384', '-seconds', String(seconds)], { encoding: 'utf8', timeout: 30_000 });
  // Machine-readable result: "+F:<n>:<cipher>:<bytes per second>".
  const line = run.status === 0 ? run.stdout.split('\n').find((l) => l.startsWith('+F:')) : undefined;
  const value = line === undefined ? NaN : Number(line.split(':').at(-1));
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`openssl speed -aead -evp ${evpName} gave no result: ${run.stderr || run.error?.message || ''}`);
  return value;
}
