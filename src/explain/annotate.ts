import {
  AlertDescription,
  ContentType,
  ExtensionType,
  HandshakeType,
  alertName,
  cipherSuiteName,
  contentTypeName,
  extensionTypeName,
  handshakeTypeName,
  isGrease,
  namedGroupName,
  protocolVersionName,
  signatureSchemeName,
} from '../registry.js';
import { HELLO_RETRY_REQUEST_RANDOM } from '../messages/handshake.js';
import { bytesEqual, fromUtf8 } from '../wire/bytes.js';
import { type Region, Walker } from './regions.js';

/**
 * The annotating walk over the bytes the engine traced: records, the handshake messages in
 * them, each extension and each vector length, labelled with the names of the one registry
 * (registry.ts) and the RFC section that defines them. It reads, it never judges:
 * the engine's codecs decide what is well-formed; bytes this walk cannot place are shown
 * undecoded rather than dropped.
 */

type Extensions = 'CH' | 'SH' | 'HRR' | 'EE' | 'CR' | 'CT' | 'NST';

const MESSAGE_SECTION: Record<number, string> = {
  [HandshakeType.client_hello]: '§4.1.2',
  [HandshakeType.server_hello]: '§4.1.3',
  [HandshakeType.new_session_ticket]: '§4.6.1',
  [HandshakeType.end_of_early_data]: '§4.5',
  [HandshakeType.encrypted_extensions]: '§4.3.1',
  [HandshakeType.certificate]: '§4.4.2',
  [HandshakeType.certificate_request]: '§4.3.2',
  [HandshakeType.certificate_verify]: '§4.4.3',
  [HandshakeType.finished]: '§4.4.4',
  [HandshakeType.key_update]: '§4.6.3',
};

const EXTENSION_SECTION: Record<number, string> = {
  [ExtensionType.server_name]: 'RFC 6066 §3',
  [ExtensionType.status_request]: 'RFC 6066 §8',
  [ExtensionType.supported_groups]: '§4.2.7',
  [ExtensionType.signature_algorithms]: '§4.2.3',
  [ExtensionType.signature_algorithms_cert]: '§4.2.3',
  [ExtensionType.application_layer_protocol_negotiation]: 'RFC 7301 §3.1',
  [ExtensionType.padding]: 'RFC 7685',
  [ExtensionType.record_size_limit]: 'RFC 8449 §4',
  [ExtensionType.pre_shared_key]: '§4.2.11',
  [ExtensionType.early_data]: '§4.2.10',
  [ExtensionType.supported_versions]: '§4.2.1',
  [ExtensionType.cookie]: '§4.2.2',
  [ExtensionType.psk_key_exchange_modes]: '§4.2.9',
  [ExtensionType.certificate_authorities]: '§4.2.4',
  [ExtensionType.post_handshake_auth]: '§4.2.6',
  [ExtensionType.key_share]: '§4.2.8',
};

/** "ClientHello" from client_hello; the second ServerHello shape has its own name. */
export function messageName(type: number, helloRetry = false): string {
  if (type === HandshakeType.server_hello && helloRetry) return 'HelloRetryRequest';
  return handshakeTypeName(type).replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

function hex(bytes: Uint8Array, max = 8): string {
  const h = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join('');
  return bytes.length > max ? `${h}…` : h;
}

function code(value: number, width = 4): string {
  return `0x${value.toString(16).padStart(width, '0')}`;
}

/** The outer record header (RFC 8446 §5.1; for protected records §5.2). */
export function recordHeader(w: Walker, protectedRecord: boolean): Region {
  const type = w.uint(1);
  const children = [
    w.take(
      1,
      'ContentType type',
      protectedRecord ? `${contentTypeName(type)} (${type}): every protected record says so; the real type is inside` : `${contentTypeName(type)} (${type})`,
      protectedRecord ? '§5.2' : '§5.1',
    ),
    w.number(2, 'legacy_record_version', (v) => `${code(v)} (${protocolVersionName(v)}): fixed for compatibility, ignored`, '§5.1'),
    w.number(2, 'length', (v) => `${v} bytes of ${protectedRecord ? 'encrypted_record' : 'fragment'} follow`, '§5.1'),
  ];
  return {
    label: 'record header',
    meaning: protectedRecord ? 'TLSCiphertext header, also the AEAD additional data' : 'TLSPlaintext header',
    rfc: protectedRecord ? '§5.2' : '§5.1',
    children,
  };
}

/** A handshake message and where it begins in its direction's handshake byte stream. */
export interface MessageStart {
  type: number;
  name: string;
  offset: number;
}

/**
 * The handshake messages of one direction, walked field by field over the reassembled byte
 * stream (the handshake content of its records, joined: RFC 8446 §5.1 lets a message span
 * records but never interleave with other content types). A stream that stops inside a
 * message (a connection that failed) shows that message as far as its bytes go.
 */
export function annotateMessages(stream: Uint8Array): { regions: Region[]; messages: MessageStart[] } {
  const messages: MessageStart[] = [];
  const w = new Walker(stream);
  const regions = w.all((w) => {
    const out: Region[] = [];
    while (w.left > 0) {
      if (w.left < 4) {
        out.push(w.rest('handshake header (incomplete)', `${w.left} of its 4 bytes were recorded`, '§4'));
        break;
      }
      const offset = stream.length - w.left;
      const type = w.uint(1);
      const length = w.peek(4)[1]! * 65536 + w.peek(4)[2]! * 256 + w.peek(4)[3]!;
      const retry = type === HandshakeType.server_hello && w.left >= 4 + 2 + 32 && bytesEqual(w.peek(4 + 2 + 32).subarray(6), HELLO_RETRY_REQUEST_RANDOM);
      const name = messageName(type, retry);
      messages.push({ type, name, offset });
      const header: Region = {
        label: 'handshake header',
        meaning: `${name}, ${length} bytes`,
        rfc: '§4',
        children: [w.take(1, 'HandshakeType msg_type', `${handshakeTypeName(type)} (${type})`, '§4'), w.take(3, 'length', `${length} bytes of body follow`, '§4')],
      };
      const complete = length <= w.left;
      const meaning = complete ? messageMeaning(type, retry) : `incomplete: only ${w.left} of its ${length}-byte body was recorded`;
      const bodyRegions = w.sub(Math.min(length, w.left)).all((b) => messageBody(b, type, retry));
      out.push({ label: name, meaning, rfc: MESSAGE_SECTION[type] ?? '§4', children: [header, ...bodyRegions] });
    }
    return out;
  });
  return { regions, messages };
}

function messageMeaning(type: number, retry: boolean): string {
  switch (type) {
    case HandshakeType.client_hello:
      return 'the client opens: what it can do, and its key shares';
    case HandshakeType.server_hello:
      return retry ? 'the server asks the client to try again, with what it needs' : 'the server chooses: suite, key share, version';
    case HandshakeType.encrypted_extensions:
      return "the rest of the server's choices, already encrypted";
    case HandshakeType.certificate_request:
      return 'the server asks the client for a certificate';
    case HandshakeType.certificate:
      return "the sender's certificate chain, leaf first";
    case HandshakeType.certificate_verify:
      return "a signature over the transcript with the certificate's key";
    case HandshakeType.finished:
      return 'an HMAC over the whole handshake with a key only the two ends have';
    case HandshakeType.new_session_ticket:
      return 'a ticket to resume this session later';
    case HandshakeType.end_of_early_data:
      return 'the end of the 0-RTT data';
    case HandshakeType.key_update:
      return 'the sender moves to its next traffic key';
    default:
      return 'a handshake message';
  }
}

/**
 * The fields of each handshake message's body, by HandshakeType (RFC 8446 §4): one annotator per
 * message, each reading its fields in wire order.
 */
const MESSAGE_BODIES: Readonly<Partial<Record<number, (w: Walker, retry: boolean) => Region[]>>> = {
  [HandshakeType.client_hello]: (w) => [
    w.number(2, 'legacy_version', (v) => `${code(v)} (${protocolVersionName(v)}): frozen; TLS 1.3 is offered in supported_versions`, '§4.1.2'),
    w.take(32, 'random', '32 random bytes chosen by the client; they also name the connection in key logs', '§4.1.2'),
    w.vector(1, 'legacy_session_id', 'a random id that makes middleboxes take this for a resumption (compatibility mode)', '§4.1.2', (b) =>
      b.left ? [b.rest('session id', `${b.left} bytes`)] : [],
    ),
    w.vector(2, 'cipher_suites', 'the AEAD + hash pairs the client accepts, in its order of preference', '§4.1.2', (b) =>
      b.each((i) => i.number(2, 'CipherSuite', (v) => (isGrease(v) ? `GREASE ${code(v)} (RFC 8701)` : cipherSuiteName(v)), '§B.4')),
    ),
    w.vector(1, 'legacy_compression_methods', 'always exactly one byte 0: no compression', '§4.1.2', (b) => (b.left ? [b.rest('method', 'null (0)')] : [])),
    extensions(w, 'CH'),
  ],
  [HandshakeType.server_hello]: (w, retry) => [
    w.number(2, 'legacy_version', (v) => `${code(v)} (${protocolVersionName(v)}); the real version is in supported_versions`, '§4.1.3'),
    w.take(32, 'random', retry ? 'the fixed value SHA-256("HelloRetryRequest") that marks a HelloRetryRequest' : '32 random bytes chosen by the server', '§4.1.3'),
    w.vector(1, 'legacy_session_id_echo', "the client's legacy_session_id, echoed", '§4.1.3', (b) => (b.left ? [b.rest('session id', `${b.left} bytes`)] : [])),
    w.number(2, 'cipher_suite', (v) => `chosen: ${cipherSuiteName(v)}`, '§4.1.3'),
    w.number(1, 'legacy_compression_method', (v) => (v === 0 ? 'null (0)' : `${v} (must be 0)`), '§4.1.3'),
    extensions(w, retry ? 'HRR' : 'SH'),
  ],
  [HandshakeType.encrypted_extensions]: (w) => [extensions(w, 'EE')],
  [HandshakeType.certificate_request]: (w) => [
    w.vector(1, 'certificate_request_context', 'empty during the handshake; names a post-handshake request', '§4.3.2', (b) =>
      b.left ? [b.rest('context', hex(b.peek(b.left)))] : [],
    ),
    extensions(w, 'CR'),
  ],
  [HandshakeType.certificate]: (w) => [
    w.vector(1, 'certificate_request_context', 'empty, or the context of the request this answers', '§4.4.2', (b) => (b.left ? [b.rest('context', hex(b.peek(b.left)))] : [])),
    w.vector(3, 'certificate_list', 'the chain, leaf first', '§4.4.2', (b) =>
      b.each((e, i) => ({
        label: `CertificateEntry ${i}`,
        meaning: i === 0 ? 'the end-entity (leaf) certificate' : 'an intermediate the sender included',
        rfc: '§4.4.2',
        children: [
          e.vector(3, 'cert_data', 'one X.509 certificate, DER', '§4.4.2', (c) => [
            c.rest('DER certificate', `${c.left} bytes of ASN.1 (decoded under "certificate and verification")`, 'RFC 5280'),
          ]),
          extensions(e, 'CT'),
        ],
      })),
    ),
  ],
  [HandshakeType.certificate_verify]: (w) => [
    w.number(2, 'SignatureScheme algorithm', (v) => signatureSchemeName(v), '§4.4.3'),
    w.vector(2, 'signature', 'the signature over 64 spaces, a context string, 0 and the transcript hash', '§4.4.3', (b) => [b.rest('signature', `${b.left} bytes`)]),
  ],
  [HandshakeType.finished]: (w) => [w.rest('verify_data', 'HMAC(finished_key, transcript hash): proves the sender saw this same handshake', '§4.4.4')],
  [HandshakeType.new_session_ticket]: (w) => [
    w.number(4, 'ticket_lifetime', (v) => `${v} s`, '§4.6.1'),
    w.number(4, 'ticket_age_add', (v) => `${v}: added to the ticket age the client reports, to hide it`, '§4.6.1'),
    w.vector(1, 'ticket_nonce', 'makes this ticket\'s PSK unique: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce)', '§4.6.1', (b) =>
      b.left ? [b.rest('nonce', hex(b.peek(b.left)))] : [],
    ),
    w.vector(2, 'ticket', "opaque to the client: the server's sealed session state", '§4.6.1', (b) => [b.rest('ticket', `${b.left} bytes`)]),
    extensions(w, 'NST'),
  ],
  [HandshakeType.key_update]: (w) => [
    w.number(1, 'KeyUpdateRequest request_update', (v) => (v === 1 ? 'update_requested: the peer must update too' : v === 0 ? 'update_not_requested' : `${v} (invalid)`), '§4.6.3'),
  ],
  [HandshakeType.end_of_early_data]: () => [],
};

function messageBody(w: Walker, type: number, retry: boolean): Region[] {
  const body = MESSAGE_BODIES[type];
  return body ? body(w, retry) : [w.rest('body', 'a message TLS 1.3 does not define')];
}

function extensions(w: Walker, where: Extensions): Region {
  return w.vector(2, 'extensions', where === 'CT' ? 'per-certificate extensions' : 'the extensions, each type + length + data', '§4.2', (b) => b.each((e) => extension(e, where)));
}

function extension(w: Walker, where: Extensions): Region {
  const type = w.uint(2);
  const name = isGrease(type) ? `GREASE ${code(type)}` : extensionTypeName(type);
  const typeLeaf = w.take(2, 'ExtensionType', `${name} (${type})`, '§4.2');
  const body = w.vector(2, 'extension_data', '', undefined, (d) => extensionData(d, type, where));
  const children = body.children ?? [];
  return { label: name, meaning: extensionMeaning(type, where), rfc: EXTENSION_SECTION[type] ?? (isGrease(type) ? 'RFC 8701' : '§4.2'), children: [typeLeaf, ...children] };
}

function extensionMeaning(type: number, where: Extensions): string {
  switch (type) {
    case ExtensionType.server_name:
      return where === 'CH' ? 'SNI: the host name the client wants' : 'the server used the name';
    case ExtensionType.supported_groups:
      return 'key exchange groups, in preference order';
    case ExtensionType.signature_algorithms:
      return 'signatures accepted in CertificateVerify';
    case ExtensionType.signature_algorithms_cert:
      return 'signatures accepted in certificates';
    case ExtensionType.key_share:
      return where === 'CH' ? "the client's public keys, one per group it guessed" : where === 'HRR' ? 'the group the server wants a share for' : "the server's public key";
    case ExtensionType.supported_versions:
      return where === 'CH' ? 'the versions the client speaks' : 'the version chosen';
    case ExtensionType.psk_key_exchange_modes:
      return 'how a PSK may be used: with (EC)DHE or alone';
    case ExtensionType.pre_shared_key:
      return where === 'CH' ? 'tickets offered for resumption, and their binders (always last)' : 'which offered PSK the server took';
    case ExtensionType.early_data:
      return where === 'NST' ? 'how much 0-RTT data this ticket allows' : where === 'CH' ? 'the client sends 0-RTT data' : 'the server accepts the 0-RTT data';
    case ExtensionType.cookie:
      return 'state the server wants back in the second ClientHello';
    case ExtensionType.application_layer_protocol_negotiation:
      return where === 'CH' ? 'application protocols offered' : 'the application protocol chosen';
    case ExtensionType.record_size_limit:
      return 'the largest record the sender will accept';
    case ExtensionType.post_handshake_auth:
      return 'the client can be asked for a certificate after the handshake';
    case ExtensionType.padding:
      return 'zeros, to give the ClientHello a size middleboxes like';
    case ExtensionType.certificate_authorities:
      return 'the CAs the sender trusts';
    default:
      return isGrease(type) ? 'a reserved value to keep peers tolerant (RFC 8701)' : 'an extension not decoded here';
  }
}

/**
 * The data of each extension this page decodes, by ExtensionType and the message it is in (RFC
 * 8446 §4.2 and the RFCs cited): one annotator per extension, each reading its fields in wire
 * order. An annotator returns undefined where the extension's data in that message is not
 * decoded here; the data is then shown whole.
 */
const EXTENSION_DATA: Readonly<Partial<Record<number, (w: Walker, where: Extensions) => Region[] | undefined>>> = {
  [ExtensionType.server_name]: (w, where) => {
    // Only the ClientHello's carries names; the server's answer is empty (RFC 6066 §3).
    if (where !== 'CH') return undefined;
    return [
      w.vector(2, 'server_name_list', 'names', undefined, (l) =>
        l.each((n) => ({
          label: 'ServerName',
          meaning: 'one name',
          children: [
            n.number(1, 'name_type', (v) => (v === 0 ? 'host_name (0)' : String(v))),
            n.vector(2, 'HostName', 'the host name', undefined, (h) => [h.rest('host_name', JSON.stringify(fromUtf8(h.peek(h.left)) ?? ''))]),
          ],
        })),
      ),
    ];
  },
  [ExtensionType.supported_groups]: (w) => [
    w.vector(2, 'named_group_list', 'groups', '§4.2.7', (l) => l.each((g) => g.number(2, 'NamedGroup', (v) => (isGrease(v) ? `GREASE ${code(v)}` : namedGroupName(v)), '§4.2.7'))),
  ],
  [ExtensionType.signature_algorithms]: (w) => signatureSchemeList(w),
  [ExtensionType.signature_algorithms_cert]: (w) => signatureSchemeList(w),
  [ExtensionType.key_share]: (w, where) => {
    if (where === 'HRR') return [w.number(2, 'selected_group', (v) => namedGroupName(v), '§4.2.8')];
    if (where === 'SH') return [keyShareEntry(w)];
    return [w.vector(2, 'client_shares', 'one KeyShareEntry per group', '§4.2.8', (l) => l.each((e) => keyShareEntry(e)))];
  },
  [ExtensionType.supported_versions]: (w, where) => {
    if (where === 'CH')
      return [
        w.vector(1, 'versions', 'versions', '§4.2.1', (l) =>
          l.each((v) => v.number(2, 'ProtocolVersion', (x) => (isGrease(x) ? `GREASE ${code(x)}` : protocolVersionName(x)), '§4.2.1')),
        ),
      ];
    return [w.number(2, 'selected_version', (v) => protocolVersionName(v), '§4.2.1')];
  },
  [ExtensionType.psk_key_exchange_modes]: (w) => [
    w.vector(1, 'ke_modes', 'modes', '§4.2.9', (l) =>
      l.each((m) => m.number(1, 'PskKeyExchangeMode', (v) => (v === 1 ? 'psk_dhe_ke (1): PSK with (EC)DHE' : v === 0 ? 'psk_ke (0): PSK alone' : String(v)), '§4.2.9')),
    ),
  ],
  [ExtensionType.pre_shared_key]: (w, where) => {
    if (where === 'SH') return [w.number(2, 'selected_identity', (v) => `identity ${v} of those offered`, '§4.2.11')];
    return [
      w.vector(2, 'identities', 'the tickets offered', '§4.2.11', (l) =>
        l.each((i) => ({
          label: 'PskIdentity',
          meaning: 'one ticket',
          rfc: '§4.2.11',
          children: [
            i.vector(2, 'identity', 'the ticket as the server issued it', '§4.2.11', (t) => [t.rest('ticket', `${t.left} bytes`)]),
            i.number(4, 'obfuscated_ticket_age', (v) => `${v}: ticket age in ms + ticket_age_add, mod 2^32`, '§4.2.11'),
          ],
        })),
      ),
      w.vector(2, 'binders', 'one HMAC per identity, over the ClientHello up to here', '§4.2.11.2', (l) =>
        l.each((b) =>
          b.vector(1, 'PskBinderEntry', 'HMAC(finished_key from binder_key, Transcript-Hash(truncated ClientHello))', '§4.2.11.2', (v) => [v.rest('binder', `${v.left} bytes`)]),
        ),
      ),
    ];
  },
  [ExtensionType.early_data]: (w, where) => (where === 'NST' ? [w.number(4, 'max_early_data_size', (v) => `${v} bytes of 0-RTT data allowed`, '§4.2.10')] : undefined),
  [ExtensionType.cookie]: (w) => [w.vector(2, 'cookie', 'opaque to the client', '§4.2.2', (c) => [c.rest('cookie', `${c.left} bytes`)])],
  [ExtensionType.application_layer_protocol_negotiation]: (w) => [
    w.vector(2, 'protocol_name_list', 'names', 'RFC 7301 §3.1', (l) =>
      l.each((p) => p.vector(1, 'ProtocolName', 'one protocol name', 'RFC 7301 §3.1', (n) => [n.rest('name', JSON.stringify(fromUtf8(n.peek(n.left)) ?? ''))])),
    ),
  ],
  [ExtensionType.record_size_limit]: (w) => [w.number(2, 'RecordSizeLimit', (v) => `${v} bytes`, 'RFC 8449 §4')],
  [ExtensionType.padding]: (w) => [w.rest('zeros', `${w.left} bytes`, 'RFC 7685')],
  [ExtensionType.certificate_authorities]: (w) => [
    w.vector(2, 'authorities', 'distinguished names', '§4.2.4', (l) =>
      l.each((d) => d.vector(2, 'DistinguishedName', 'one CA name, DER', '§4.2.4', (n) => [n.rest('name', `${n.left} bytes`)])),
    ),
  ],
};

/** signature_algorithms and signature_algorithms_cert share one layout (§4.2.3). */
function signatureSchemeList(w: Walker): Region[] {
  return [
    w.vector(2, 'supported_signature_algorithms', 'schemes', '§4.2.3', (l) =>
      l.each((s) => s.number(2, 'SignatureScheme', (v) => (isGrease(v) ? `GREASE ${code(v)}` : signatureSchemeName(v)), '§4.2.3')),
    ),
  ];
}

function extensionData(w: Walker, type: number, where: Extensions): Region[] {
  if (w.left === 0) return [];
  return EXTENSION_DATA[type]?.(w, where) ?? [w.rest('data', `${w.left} bytes`)];
}

function keyShareEntry(w: Walker): Region {
  const group = w.uint(2);
  return {
    label: 'KeyShareEntry',
    meaning: `a ${namedGroupName(group)} public key`,
    rfc: '§4.2.8',
    children: [
      w.take(2, 'group', isGrease(group) ? `GREASE ${code(group)}` : namedGroupName(group), '§4.2.8'),
      w.vector(2, 'key_exchange', 'the public key', '§4.2.8', (k) => [k.rest('public key', `${k.left} bytes`)]),
    ],
  };
}

/** An alert's two bytes (RFC 8446 §6). */
export function annotateAlert(content: Uint8Array): Region[] {
  return new Walker(content).all((w) => {
    const level = w.number(1, 'AlertLevel level', (v) => (v === 1 ? 'warning (1)' : v === 2 ? 'fatal (2)' : String(v)), '§6');
    const description = w.number(
      1,
      'AlertDescription description',
      (v) => `${alertName(v)} (${v})${v === AlertDescription.close_notify ? ': the sender will send nothing more' : ''}`,
      '§6',
    );
    return [{ label: 'Alert', meaning: alertName(content[1] ?? 0), rfc: '§6', children: [level, description] }];
  });
}

/** What a plaintext record carries, by its content type; handshake bytes come from their stream. */
export function annotatePlaintext(type: number, fragment: Uint8Array, handshake: (fragment: Uint8Array) => Region[]): Region[] {
  switch (type) {
    case ContentType.handshake:
      return handshake(fragment);
    case ContentType.alert:
      return annotateAlert(fragment);
    case ContentType.change_cipher_spec:
      return [new Walker(fragment).rest('change_cipher_spec', 'a dummy record for middleboxes; TLS 1.3 ignores it', 'Appendix D.4')];
    default:
      return [new Walker(fragment).rest(contentTypeName(type), `${fragment.length} bytes`, '§5.1', type === ContentType.application_data)];
  }
}
