/**
 * CBOR as the IC speaks it: every body carries the self-describe tag 55799, and integers wider than
 * 53 bits (ingress_expiry, timestamps) decode as bigint so request ids hash the exact value.
 */
import { decode, encodeWithSelfDescribedTag } from '@dfinity/cbor'

export function encodeCbor(value: unknown): Uint8Array {
  return encodeWithSelfDescribedTag(value)
}

/**
 * Throws `DecodingError` on malformed input; the tag 55799 is optional and stripped.
 *
 * Ordinary messages take a fast path that gives the value `decode` gives, except that byte
 * strings of 4 KiB and more are views into `bytes` instead of copies (`decode` copies a 2 MB
 * `arg` once more). Anything unusual (indefinite lengths, floats, other tags, truncation, trailing
 * bytes) goes to `decode`, whose value or error then stands.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  const fast = decodeWithViews(bytes)
  return fast === NOT_FAST ? decode(bytes) : fast
}

const NOT_FAST = Symbol('not fast')
const utf8Decoder = new TextDecoder()

function decodeWithViews(bytes: Uint8Array): unknown {
  let pos = 0
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  /** The argument of a head: a length, a count or an integer (bigint when written in 8 bytes). */
  const argument = (info: number): number | bigint => {
    if (info < 24) return info
    const width = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0
    if (width === 0 || pos + width > bytes.length) throw NOT_FAST
    const at = pos
    pos += width
    return width === 1 ? view.getUint8(at) : width === 2 ? view.getUint16(at) : width === 4 ? view.getUint32(at) : view.getBigUint64(at)
  }
  const length = (info: number): number => {
    const n = argument(info)
    if (typeof n === 'bigint' || n > bytes.length - pos) throw NOT_FAST
    return n
  }
  const take = (n: number): Uint8Array => {
    const out = bytes.subarray(pos, pos + n)
    pos += n
    return out
  }
  const item = (): unknown => {
    if (pos >= bytes.length) throw NOT_FAST
    const first = bytes[pos++] as number
    const major = first >> 5
    const info = first & 0x1f
    switch (major) {
      case 0:
        return argument(info)
      case 1: {
        const n = argument(info)
        return typeof n === 'bigint' ? -1n - n : -1 - n
      }
      case 2: {
        const data = take(length(info))
        return data.length >= REFERENCE_FROM_BYTES ? data : data.slice()
      }
      case 3:
        return utf8Decoder.decode(take(length(info)))
      case 4: {
        const n = length(info)
        const out = new Array<unknown>(n)
        for (let i = 0; i < n; i++) out[i] = item()
        return out
      }
      case 5: {
        const n = length(info)
        const out: Record<string, unknown> = {}
        for (let i = 0; i < n; i++) {
          if (pos >= bytes.length || (bytes[pos] as number) >> 5 !== 3) throw NOT_FAST
          const key = item() as string
          out[key] = item()
        }
        return out
      }
      case 6:
        if (argument(info) !== SELF_DESCRIBE_TAG) throw NOT_FAST
        return item()
      default:
        if (info === 20) return false
        if (info === 21) return true
        if (info === 22) return null
        if (info === 23) return undefined
        throw NOT_FAST
    }
  }
  try {
    const value = item()
    return pos === bytes.length ? value : NOT_FAST
  } catch {
    return NOT_FAST
  }
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
