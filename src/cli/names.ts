import { CipherSuite, NamedGroup, SignatureScheme, lookupCode } from '../registry.js';
import { UsageError } from './args.js';

/**
 * Command-line names for groups, suites and signature schemes: the RFC names from the
 * registry, matched case-insensitively, plus OpenSSL's spellings people already type.
 */
const GROUP_ALIASES: Record<string, NamedGroup> = {
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  'p-521': NamedGroup.secp521r1,
};

function byName<T extends Record<string, number>>(table: T, aliases: Record<string, number>, what: string, name: string): T[keyof T] {
  const lower = name.toLowerCase();
  const alias = aliases[lower];
  if (alias !== undefined) return alias as T[keyof T];
  const exact = lookupCode(table, name);
  if (exact !== undefined) return exact;
  for (const key of Object.keys(table)) if (key.toLowerCase() === lower) return table[key as keyof T];
  throw new UsageError(`unknown ${what} "${name}" (known: ${Object.keys(table).join(', ')})`);
}

export function groupByName(name: string): NamedGroup {
  return byName(NamedGroup, GROUP_ALIASES, 'group', name);
}

export function cipherSuiteByName(name: string): CipherSuite {
  return byName(CipherSuite, {}, 'cipher suite', name);
}

export function signatureSchemeByName(name: string): SignatureScheme {
  return byName(SignatureScheme, {}, 'signature scheme', name);
}
