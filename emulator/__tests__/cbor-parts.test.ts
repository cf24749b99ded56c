/**
 * `encodeCborParts` writes exactly the bytes of `encodeCbor`, and passes long byte strings (a 2 MB
 * reply in a certificate) through as the caller's arrays instead of copies.
 */
import { describe, expect, it } from '@jest/globals'
import { concatBytes } from '../src/crypto/hash.js'
import { decodeCbor, encodeCbor, encodeCborParts } from '../src/crypto/cbor.js'
import { StateLeaf, StateLevel } from '../src/crypto/hash-tree.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const filled = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte)
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

describe('encodeCborParts', () => {
  const lengths = [0, 1, 23, 24, 255, 256, 4095, 4096, 65_535, 65_536, 2_000_000]
  const values: [string, unknown][] = [
    ['small scalars', [0, 1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2n ** 64n - 1n, -1, -24, -25, -256, -(2n ** 64n)]],
    ['simple values', [true, false, null, undefined]],
    ['text', ['', 'a', 'request_status', 'é', 'x'.repeat(300), 'y'.repeat(70_000)]],
    ['byte strings of every head size', lengths.map((n) => filled(n, n % 251))],
    ['nested maps and arrays', { status: 'replied', certificate: { tree: [1, [4, filled(32, 1)], [2, text('reply'), [3, filled(5000, 2)]]], signature: filled(48, 3) }, n: [[], {}, [[[]]]] }]
  ]

  it.each(values)('writes the bytes encodeCbor writes: %s', (_name, value) => {
    expect(sameBytes(concatBytes(...encodeCborParts(value)), encodeCbor(value))).toBe(true)
  })

  it('writes a certificate with a 2 MB reply as encodeCbor does, passing the reply through uncopied', () => {
    const reply = filled(2_000_000, 7)
    const requestId = filled(32, 9)
    const level = StateLevel.of([
      ['request_status', StateLevel.of([[requestId, StateLevel.of([['reply', new StateLeaf(reply)], ['status', new StateLeaf(text('replied'))]])]])],
      ['time', new StateLeaf(Uint8Array.of(1, 2, 3))]
    ])
    const certificate = { tree: level.witness([[text('request_status'), requestId], [text('time')]]), signature: filled(48, 5) }
    const parts = encodeCborParts(certificate)
    expect(parts).toContain(reply)
    const whole = concatBytes(...parts)
    expect(sameBytes(whole, encodeCbor(certificate))).toBe(true)
    expect((decodeCbor(whole) as { signature: Uint8Array }).signature).toEqual(filled(48, 5))
  })

  it('refuses what CBOR cannot carry, as encodeCbor does', () => {
    expect(() => encodeCborParts(() => 1)).toThrow('Cannot encode a function as CBOR')
    expect(() => encodeCbor(() => 1)).toThrow()
    expect(() => encodeCborParts(2n ** 64n)).toThrow('Value too large to encode')
  })
})
