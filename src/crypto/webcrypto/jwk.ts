/** Unpadded base64url (RFC 4648 §5), as JWK members are written (RFC 7518 §6.2.1, §6.3.1). */
export function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
