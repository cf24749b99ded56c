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

/** Byte strings at least this long are referenced by the encoded parts rather than copied. */
const REFERENCE_FROM_BYTES = 4096
const SELF_DESCRIBE_TAG = 55799

/**
 * The bytes `encodeCbor(value)` writes, as a list of parts to send one after another: heads and
 * small values are gathered into fresh chunks, and long byte strings (a 2 MB reply inside a
 * certificate) are the caller's own arrays, not copies. `encodeCbor` would copy such a string twice
 * (into its growing buffer, then out of it).
 */
export function encodeCborParts(value: unknown): Uint8Array[] {
  const parts: Uint8Array[] = []
  let scratch: number[] = []
  const flush = (): void => {
    if (scratch.length > 0) parts.push(Uint8Array.from(scratch))
    scratch = []
  }
  const head = (major: number, n: number | bigint): void => {
    const m = major << 5
    if (n < 24) scratch.push(m | Number(n))
    else if (n < 0x100) scratch.push(m | 24, Number(n))
    else if (n < 0x10000) scratch.push(m | 25, Number(n) >> 8, Number(n) & 0xff)
    else if (n < 0x100000000) scratch.push(m | 26, ...bigEndian(BigInt(n), 4))
    else if (n < 0x10000000000000000n) scratch.push(m | 27, ...bigEndian(BigInt(n), 8))
    else throw new RangeError(`Value too large to encode: ${n}`)
  }
  const bytes = (major: number, data: Uint8Array): void => {
    head(major, data.length)
    if (data.length < REFERENCE_FROM_BYTES) {
      for (const byte of data) scratch.push(byte)
      return
    }
    flush()
    parts.push(data)
  }
  const write = (v: unknown): void => {
    if (v === false || v === true || v === null || v === undefined) head(7, v === false ? 20 : v === true ? 21 : v === null ? 22 : 23)
    else if (typeof v === 'number' || typeof v === 'bigint') {
      if (v >= 0) head(0, v)
      else head(1, typeof v === 'bigint' ? -1n - v : -1 - v)
    } else if (typeof v === 'string') bytes(3, utf8.encode(v))
    else if (v instanceof Uint8Array) bytes(2, v)
    else if (v instanceof ArrayBuffer) bytes(2, new Uint8Array(v))
    else if (Array.isArray(v)) {
      head(4, v.length)
      for (const item of v) write(item)
    } else if (typeof v === 'object') {
      const entries = Object.entries(v)
      head(5, entries.length)
      for (const [key, item] of entries) {
        bytes(3, utf8.encode(key))
        write(item)
      }
    } else throw new TypeError(`Cannot encode a ${typeof v} as CBOR`)
  }
  head(6, SELF_DESCRIBE_TAG)
  write(value)
  flush()
  return parts
}

const utf8 = new TextEncoder()

function bigEndian(n: bigint, width: number): number[] {
  const out: number[] = []
  for (let i = width - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn))
  return out
}

export function isCborMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
