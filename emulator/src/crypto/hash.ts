/**
 * Hashing primitives of the IC interface spec: domain separators, LEB128 and the
 * representation-independent hash that defines request ids and the maps signed in query responses
 * and delegations.
 */
import { createHash } from 'node:crypto'

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const part of parts) h.update(part)
  const digest = h.digest()
  // A view created in this realm: under jest's vm realms a Buffer fails `instanceof Uint8Array`.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/** `byte(len) ‖ ascii`, the prefix every signed or hashed IC structure starts with. */
export function domainSeparator(name: string): Uint8Array {
  const text = new TextEncoder().encode(name)
  const out = new Uint8Array(text.length + 1)
  out[0] = text.length
  out.set(text, 1)
  return out
}

export function encodeLeb128(value: bigint | number): Uint8Array {
  let n = BigInt(value)
  if (n < 0n) throw new RangeError(`LEB128 value must be non-negative, got ${n}`)
  const bytes: number[] = []
  do {
    let byte = Number(n & 0x7fn)
    n >>= 7n
    if (n !== 0n) byte |= 0x80
    bytes.push(byte)
  } while (n !== 0n)
  return Uint8Array.from(bytes)
}

const utf8 = new TextEncoder()

/** Hash of one value as the spec defines it; maps hash recursively, arrays hash their elements. */
export function hashOfValue(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return sha256(value)
  if (typeof value === 'string') return sha256(utf8.encode(value))
  if (typeof value === 'bigint' || typeof value === 'number') return sha256(encodeLeb128(value))
  if (Array.isArray(value)) return sha256(...value.map(hashOfValue))
  if (typeof value === 'object' && value !== null) return hashOfMap(value as Record<string, unknown>)
  throw new TypeError(`Cannot hash a value of type ${typeof value} (only blobs, text, nats, arrays and maps can be hashed)`)
}

export function hashOfMap(map: Record<string, unknown>): Uint8Array {
  const pairs: Uint8Array[] = []
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue
    const pair = new Uint8Array(64)
    pair.set(sha256(utf8.encode(key)), 0)
    pair.set(hashOfValue(value), 32)
    pairs.push(pair)
  }
  pairs.sort(compareBytes)
  return sha256(...pairs)
}

/** The request id: the representation-independent hash of the whole `content` map. */
export const requestIdOf = hashOfMap

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`Expected an even-length hex string, got '${hex}'`)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
