/**
 * CBOR as the IC speaks it: every body carries the self-describe tag 55799, and integers wider than
 * 53 bits (ingress_expiry, timestamps) decode as bigint so request ids hash the exact value.
 */
import { decode, encodeWithSelfDescribedTag } from '@dfinity/cbor'

export function encodeCbor(value: unknown): Uint8Array {
  return encodeWithSelfDescribedTag(value)
}

/** Throws `DecodingError` on malformed input; the tag 55799 is optional and stripped. */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decode(bytes)
}

export function isCborMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
