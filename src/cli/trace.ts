import type { TraceEvent } from '../handshake-context.js';
import * as ext from '../messages/extensions.js';
import { isHelloRetryRequest } from '../messages/handshake.js';
import { ExtensionType, cipherSuiteName, extensionTypeName, handshakeTypeName, namedGroupName, protocolVersionName, signatureSchemeName } from '../registry.js';
import type { HandshakeMessage, RawExtension } from '../messages/types.js';
import { bytesToHex, fromUtf8 } from '../wire/bytes.js';
import { describeError } from './output.js';

/**
 * Formats the engine's trace events as text a person can learn the handshake from: each
 * message with its important fields, each key change, each verification. A view only: the
 * fields come from the same codecs the engine uses.
 */

const FIELD_WIDTH = 24;

/**
 * One event as text, or undefined for the events --trace leaves to --explain: records (the
 * trace shows messages) and the chain report (the verdict line below says what came of it).
 * A failure is traced where it happened, after the message that caused it, with the rule
 * that refused it.
 */
export function formatTraceEvent(event: TraceEvent, role: 'client' | 'server'): string | undefined {
  switch (event.kind) {
    case 'record':
    case 'chain':
      return undefined;
    case 'failed':
      return `  ✗   ${describeError(event.error)}`;
    case 'undecodable':
      return `${arrow(event.direction, role)}  ${handshakeTitle(event.type).padEnd(FIELD_WIDTH + 2)}${event.raw.length} bytes, not decodable: ${short(event.raw, 32)}`;
    case 'message': {
      const title = messageTitle(event.message);
      const lines = [`${arrow(event.direction, role)}  ${title.padEnd(FIELD_WIDTH + 2)}${event.raw.length} bytes`];
      for (const [field, value] of describeMessage(event.message)) lines.push(`        ${field.padEnd(FIELD_WIDTH)}${value}`);
      return lines.join('\n');
    }
    case 'keys':
      return `  ⚿   ${event.direction === 'read' ? 'reading' : 'writing'} with ${event.epoch} keys from here on`;
    case 'secret':
      return `  ⚷   derived ${event.name}`;
    case 'verified':
      return `  ${event.ok ? '✓' : '✗'}   ${event.what}${event.detail ? `: ${event.detail}` : ''}`;
  }
}

function arrow(direction: 'sent' | 'received', role: 'client' | 'server'): string {
  return (direction === 'sent') === (role === 'client') ? 'C → S' : 'S → C';
}

function messageTitle(message: HandshakeMessage): string {
  if (message.type === 2 && isHelloRetryRequest(message)) return 'HelloRetryRequest';
  return handshakeTitle(message.type);
}

/** client_hello → ClientHello. */
function handshakeTitle(type: number): string {
  return handshakeTypeName(type).replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

type Field = [string, string];

function short(bytes: Uint8Array, max = 16): string {
  const hex = bytesToHex(bytes.subarray(0, max));
  return bytes.length > max ? `${hex}… (${bytes.length} bytes)` : hex || '(empty)';
}

function describeMessage(message: HandshakeMessage): Field[] {
  switch (message.type) {
    case 1:
      return [
        ['random', short(message.random)],
        ['legacy_session_id', short(message.legacySessionId)],
        ['cipher_suites', message.cipherSuites.map(cipherSuiteName).join(', ')],
        ...describeExtensions(message.extensions, 'CH'),
      ];
    case 2: {
      const retry = isHelloRetryRequest(message);
      return [
        ...(retry ? [] : ([['random', short(message.random)]] as Field[])),
        ['cipher_suite', cipherSuiteName(message.cipherSuite)],
        ...describeExtensions(message.extensions, retry ? 'HRR' : 'SH'),
      ];
    }
    case 8:
      return describeExtensions(message.extensions, 'EE');
    case 13:
      return [['context', short(message.context)], ...describeExtensions(message.extensions, 'CR')];
    case 11:
      return message.entries.map((e, i) => [i === 0 ? 'leaf certificate' : `certificate ${i}`, `${e.data.length} bytes DER`] as Field);
    case 15:
      return [
        ['signature_scheme', signatureSchemeName(message.scheme)],
        ['signature', short(message.signature)],
      ];
    case 20:
      return [['verify_data', short(message.verifyData, 48)]];
    case 4:
      return [['lifetime', `${message.lifetime} s`], ['ticket', short(message.ticket)], ...describeExtensions(message.extensions, 'NST')];
    case 24:
      return [['request_update', message.requestUpdate === 1 ? 'update_requested' : 'update_not_requested']];
    case 5:
      return [];
  }
}

function describeExtensions(extensions: readonly RawExtension[], context: ext.ExtensionContext): Field[] {
  return extensions.map(({ type, data }) => [extensionTypeName(type), describeExtension(type, data, context)]);
}

function describeExtension(type: number, data: Uint8Array, context: ext.ExtensionContext): string {
  try {
    switch (type) {
      case ExtensionType.server_name:
        return context === 'CH' ? (ext.parseServerNameClientHello(data) ?? '(no host name)') : 'acknowledged';
      case ExtensionType.supported_groups:
        return ext.parseSupportedGroups(data).map(namedGroupName).join(', ');
      case ExtensionType.signature_algorithms:
      case ExtensionType.signature_algorithms_cert:
        return ext.parseSignatureAlgorithms(data).map(signatureSchemeName).join(', ');
      case ExtensionType.key_share:
        if (context === 'CH') {
          return (
            ext
              .parseKeyShareClientHello(data)
              .map((s) => `${namedGroupName(s.group)} (${s.keyExchange.length} bytes)`)
              .join(', ') || '(none)'
          );
        }
        if (context === 'HRR') return `send a share for ${namedGroupName(ext.parseKeyShareHelloRetryRequest(data))}`;
        {
          const share = ext.parseKeyShareServerHello(data);
          return `${namedGroupName(share.group)} ${short(share.keyExchange)}`;
        }
      case ExtensionType.supported_versions:
        return context === 'CH'
          ? ext.parseSupportedVersionsClientHello(data).map(protocolVersionName).join(', ')
          : protocolVersionName(ext.parseSupportedVersionsServerHello(data));
      case ExtensionType.application_layer_protocol_negotiation:
        return ext
          .parseAlpn(data)
          .map((p) => fromUtf8(p) ?? short(p))
          .join(', ');
      case ExtensionType.record_size_limit:
        return String(ext.parseRecordSizeLimit(data));
      case ExtensionType.psk_key_exchange_modes:
        return ext
          .parsePskKeyExchangeModes(data)
          .map((m) => (m === 1 ? 'psk_dhe_ke' : m === 0 ? 'psk_ke' : String(m)))
          .join(', ');
      case ExtensionType.cookie:
        return short(ext.parseCookie(data));
      default:
        return data.length === 0 ? '(empty)' : short(data);
    }
  } catch {
    return `malformed ${short(data)}`;
  }
}
