import type { AeadCipher, AeadName } from '../crypto/provider.js';
import { internalError, protocolError } from '../errors.js';
import { ContentType, ProtocolVersion } from '../registry.js';
import { uninitializedBytes } from '../wire/bytes.js';
import { MAX_CIPHERTEXT_LENGTH, MAX_INNER_PLAINTEXT_LENGTH, MIN_RECORD_SIZE_LIMIT, RECORD_HEADER_LENGTH, writeRecordHeader } from './framing.js';

/** RFC 8446 §5.3: every TLS 1.3 AEAD here takes a 12-byte per-record nonce. */
const NONCE_LENGTH = 12;

/**
 * The sequence number is kept as two 32-bit halves so building the nonce needs no division,
 * and it must stop before 2^53: `recordsProtected` reports it as a JavaScript number, which is
 * exact only up to there. RFC 8446 §5.3 forbids wrapping the 64-bit counter; stopping at
 * 2^53 is stricter and unreachable in practice (about 28 years at ten million records a
 * second), and the §5.5 limits ask for a KeyUpdate tens of millions of records earlier.
 */
const SEQUENCE_HIGH_LIMIT = 2 ** 21;

/**
 * RFC 8446 §5.5: AES-GCM keys should be updated before 2^24.5 full-size records. We ask for the
 * update at 2^24, leaving millions of records of slack for data queued before the KeyUpdate
 * takes effect. For ChaCha20-Poly1305 the sequence number runs out first, so no threshold.
 */
export function keyUpdateThreshold(aead: AeadName): number {
  return aead === 'CHACHA20-POLY1305' ? Number.POSITIVE_INFINITY : 2 ** 24;
}

export interface RecordProtectorOptions {
  /**
   * Largest TLSInnerPlaintext (content + type byte + padding) accepted in either direction:
   * 2^14 + 1 by default, lower once a record_size_limit applies (RFC 8449 §4).
   */
  innerPlaintextLimit?: number;
  /** `keyUpdateDue` turns true once this many records were processed; see keyUpdateThreshold. */
  keyUpdateThreshold?: number;
  /**
   * Where protected records are built: a buffer of exactly the given length whose contents
   * may be undefined (every byte is written). Default: a new allocation per record.
   */
  allocate?: (length: number) => Uint8Array;
}

/** A record after deprotection: the real content type and the content without padding. */
export interface UnprotectedRecord {
  readonly type: number;
  readonly content: Uint8Array;
}

/**
 * AEAD record protection for one direction and one key epoch (RFC 8446 §5.2-§5.4). Each
 * traffic key gets a fresh protector, so its sequence number starts at 0 as §5.3 requires.
 */
export class RecordProtector {
  /** The static write IV, copied so the caller may zeroize its own. */
  private readonly iv: Uint8Array;
  /**
   * Reused for every record: the nonce is iv XOR the padded sequence number (RFC 8446 §5.3).
   * AeadCipher.seal/open use it during the call only (the interface is synchronous).
   */
  private readonly nonce = new Uint8Array(NONCE_LENGTH);
  /** Upper and lower 32 bits of the next record's sequence number. */
  protected seqHigh = 0;
  protected seqLow = 0;
  private limit = MAX_INNER_PLAINTEXT_LENGTH;
  private readonly updateThreshold: number;
  private readonly allocate: (length: number) => Uint8Array;
  private disposed = false;

  constructor(
    private readonly aead: AeadCipher,
    iv: Uint8Array,
    options: RecordProtectorOptions = {},
  ) {
    if (iv.length !== NONCE_LENGTH) throw internalError(`record IV must be ${NONCE_LENGTH} bytes, got ${iv.length}`);
    this.iv = iv.slice();
    // The sequence number is 8 bytes left-padded to 12, so the first 4 nonce bytes are the IV's.
    this.nonce.set(this.iv.subarray(0, NONCE_LENGTH - 8));
    if (options.innerPlaintextLimit !== undefined) this.innerPlaintextLimit = options.innerPlaintextLimit;
    this.updateThreshold = options.keyUpdateThreshold ?? Number.POSITIVE_INFINITY;
    this.allocate = options.allocate ?? uninitializedBytes;
  }

  /** Records sealed or opened under this key so far, which is also the next sequence number. */
  get recordsProtected(): number {
    return this.seqHigh * 2 ** 32 + this.seqLow;
  }

  /** RFC 8446 §5.5: the connection should send KeyUpdate (write side) before going on. */
  get keyUpdateDue(): boolean {
    return this.recordsProtected >= this.updateThreshold;
  }

  /** Largest TLSInnerPlaintext allowed in this direction (RFC 8446 §5.4, RFC 8449 §4). */
  get innerPlaintextLimit(): number {
    return this.limit;
  }

  set innerPlaintextLimit(limit: number) {
    if (!Number.isInteger(limit) || limit < MIN_RECORD_SIZE_LIMIT || limit > MAX_INNER_PLAINTEXT_LENGTH) {
      throw internalError(`inner plaintext limit ${limit} outside ${MIN_RECORD_SIZE_LIMIT}..${MAX_INNER_PLAINTEXT_LENGTH}`);
    }
    this.limit = limit;
  }

  /**
   * Encrypts one record and returns it complete: header || encrypted TLSInnerPlaintext. The
   * inner plaintext is laid out in the output buffer itself (content, type byte, zero padding)
   * and overwritten by the ciphertext, so the only buffer we allocate is the record.
   */
  protect(type: number, content: Uint8Array, paddingLength = 0): Uint8Array {
    this.checkUsable();
    if (type !== ContentType.handshake && type !== ContentType.alert && type !== ContentType.application_data) {
      throw internalError(`cannot protect a record of content type ${type}`);
    }
    // RFC 8446 §5.4: handshake and alert records never have empty content, padding or not.
    if (content.length === 0 && type !== ContentType.application_data) throw internalError('refusing to send an empty handshake or alert record');
    if (!Number.isInteger(paddingLength) || paddingLength < 0) throw internalError(`invalid padding length ${paddingLength}`);
    const innerLength = content.length + 1 + paddingLength;
    if (innerLength > this.limit) {
      throw internalError(`inner plaintext of ${innerLength} bytes exceeds the limit ${this.limit}`);
    }
    const ciphertextLength = innerLength + this.aead.tagLength;
    if (ciphertextLength > MAX_CIPHERTEXT_LENGTH) throw internalError(`AEAD expansion makes a ${ciphertextLength}-byte record`);

    // Every byte of the record is written below (header, content, type, padding, then the
    // AEAD output over all but the header), so it need not be zero-filled first.
    const record = this.allocate(RECORD_HEADER_LENGTH + ciphertextLength);
    if (record.length !== RECORD_HEADER_LENGTH + ciphertextLength) throw internalError('record allocator returned a buffer of the wrong length');
    // RFC 8446 §5.2: the outer header always says application_data, 0x0303; it is the AAD.
    writeRecordHeader(record, 0, ContentType.application_data, ProtocolVersion.TLS1_2, ciphertextLength);
    record.set(content, RECORD_HEADER_LENGTH);
    record[RECORD_HEADER_LENGTH + content.length] = type;
    if (paddingLength > 0) record.fill(0, RECORD_HEADER_LENGTH + content.length + 1, RECORD_HEADER_LENGTH + innerLength);
    const header = record.subarray(0, RECORD_HEADER_LENGTH);
    const inner = record.subarray(RECORD_HEADER_LENGTH, RECORD_HEADER_LENGTH + innerLength);
    let written: number;
    if (this.aead.sealInto) {
      // Encrypted where it lies: no second record-sized buffer.
      written = this.aead.sealInto(this.currentNonce(), header, inner, record, RECORD_HEADER_LENGTH);
    } else {
      const sealed = this.aead.seal(this.currentNonce(), header, inner);
      written = sealed.length;
      if (written === ciphertextLength) record.set(sealed, RECORD_HEADER_LENGTH);
    }
    if (written !== ciphertextLength) throw internalError(`AEAD produced ${written} bytes, expected ${ciphertextLength}`);
    this.advance();
    return record;
  }

  /**
   * Decrypts one record given its header (the AAD) and encrypted_record, checks the inner
   * plaintext and strips the padding. The returned content is a view of the AEAD's output.
   */
  unprotect(header: Uint8Array, encryptedRecord: Uint8Array): UnprotectedRecord {
    this.checkUsable();
    if (header.length !== RECORD_HEADER_LENGTH) throw internalError(`record header must be ${RECORD_HEADER_LENGTH} bytes`);
    if (encryptedRecord.length > MAX_CIPHERTEXT_LENGTH) {
      throw protocolError('ciphertext_too_long', `protected record of ${encryptedRecord.length} bytes exceeds ${MAX_CIPHERTEXT_LENGTH}`);
    }
    // Shorter than a tag cannot authenticate; the AEAD need not be asked.
    const plaintext = encryptedRecord.length < this.aead.tagLength ? undefined : this.aead.open(this.currentNonce(), header, encryptedRecord);
    // RFC 8446 §5.2. A failed record does not advance the sequence number: the connection dies
    // on it anyway, except a server skipping rejected 0-RTT data by trial decryption (RFC 8446
    // §4.2.10), which must stay at the sequence number of the next genuine record.
    if (plaintext === undefined) throw protocolError('record_decrypt_failed', 'record authentication failed');
    this.advance();

    // RFC 8446 §5.4 and RFC 8449 §4: the limit covers content, type byte and padding.
    if (plaintext.length > this.limit) {
      throw protocolError('plaintext_too_long', `inner plaintext of ${plaintext.length} bytes exceeds ${this.limit}`);
    }
    // RFC 8446 §5.4: the content type is the last non-zero byte, searched only inside the
    // decrypted plaintext; none at all is unexpected_message.
    let typeAt = plaintext.length - 1;
    while (typeAt >= 0 && plaintext[typeAt] === 0) typeAt--;
    if (typeAt < 0) throw protocolError('missing_content_type', 'protected record has no content type (all zeros)');
    const type = plaintext[typeAt]!;
    const content = plaintext.subarray(0, typeAt);
    switch (type) {
      case ContentType.handshake:
      case ContentType.alert:
        if (content.length === 0) throw protocolError('empty_record', 'empty handshake or alert record');
        break;
      case ContentType.application_data:
        // Zero-length application data is legitimate cover traffic (RFC 8446 §5.4).
        break;
      default:
        // Includes change_cipher_spec: a protected one is unexpected_message (RFC 8446 §5).
        throw protocolError('invalid_inner_content_type', `protected record carries content type ${type}`);
    }
    return { type, content };
  }

  /** Forgets the key (as far as the AEAD allows) and the IV; the protector is unusable after. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.aead.dispose();
    this.iv.fill(0);
    this.nonce.fill(0);
  }

  private checkUsable(): void {
    if (this.disposed) throw internalError('record protector used after dispose');
    if (this.seqHigh >= SEQUENCE_HIGH_LIMIT) throw internalError('record sequence number exhausted; the key must be updated');
  }

  /** iv XOR (0^32 || seqHigh || seqLow), big-endian, written into the reused nonce buffer. */
  private currentNonce(): Uint8Array {
    const { iv, nonce, seqHigh: high, seqLow: low } = this;
    nonce[4] = iv[4]! ^ (high >>> 24);
    nonce[5] = iv[5]! ^ ((high >>> 16) & 0xff);
    nonce[6] = iv[6]! ^ ((high >>> 8) & 0xff);
    nonce[7] = iv[7]! ^ (high & 0xff);
    nonce[8] = iv[8]! ^ (low >>> 24);
    nonce[9] = iv[9]! ^ ((low >>> 16) & 0xff);
    nonce[10] = iv[10]! ^ ((low >>> 8) & 0xff);
    nonce[11] = iv[11]! ^ (low & 0xff);
    return nonce;
  }

  private advance(): void {
    this.seqLow = (this.seqLow + 1) >>> 0;
    if (this.seqLow === 0) this.seqHigh++;
  }
}
