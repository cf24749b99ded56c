/**
 * The CBOR fast paths are exact: `encodeCborParts` writes the bytes of `encodeCbor` and passes long
 * byte strings (a 2 MB reply in a certificate) through uncopied; `decodeCbor` gives the value (or
 * the error) of @dfinity/cbor's `decode`, with long byte strings (a 2 MB `arg`) as views.
 */
import { describe, expect, it } from '@jest/globals'
import { decode as referenceDecode } from '@dfinity/cbor'
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

type Outcome = { value: unknown } | { error: string }

function outcome(decodeWith: (bytes: Uint8Array) => unknown, bytes: Uint8Array): Outcome {
  try {
    return { value: decodeWith(bytes) }
  } catch (error: unknown) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
}

const expectSameVerdict = (bytes: Uint8Array): void => expect(outcome(decodeCbor, bytes)).toEqual(outcome(referenceDecode, bytes))

/** Deterministic bytes (xorshift32), so failures reproduce. */
function pseudoRandom(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

const envelope = {
  content: {
    request_type: 'call',
    sender: filled(29, 4),
    canister_id: new Uint8Array(),
    method_name: 'upload_canister_snapshot_data',
    arg: filled(5000, 6),
    ingress_expiry: 1_700_000_000_000_000_000n,
    nonce: filled(16, 8)
  },
  sender_pubkey: filled(44, 1),
  sender_sig: filled(64, 2),
  sender_delegation: [{ delegation: { pubkey: filled(44, 3), expiration: 2n ** 63n, targets: [filled(10, 1)] }, signature: filled(64, 9) }]
}

describe('decodeCbor', () => {
  it('gives the values decode gives for every kind of item and head size', () => {
    const values = [envelope, { paths: [[text('request_status'), filled(32, 1)], [text('time')]] }, [0, 23, 24, 255, 256, 65_536, 2 ** 32, 2n ** 64n - 1n, -1, -(2n ** 64n)], [true, false, null, undefined], ['', 'é', 'x'.repeat(300)], ...[0, 23, 24, 4095, 4096, 70_000].map((n) => filled(n, 3))]
    for (const value of values) {
      const bytes = encodeCbor(value)
      expect(decodeCbor(bytes)).toEqual(referenceDecode(bytes))
      expectSameVerdict(encodeCbor(value).subarray(3)) // without the self-describe tag
    }
  })

  it('hands long byte strings over as views into the message and copies short ones', () => {
    const bytes = encodeCbor(envelope)
    const decoded = decodeCbor(bytes) as typeof envelope
    expect(decoded.content.arg.buffer).toBe(bytes.buffer)
    expect(decoded.content.nonce.buffer).not.toBe(bytes.buffer)
    expect(decoded.content.arg).toEqual(filled(5000, 6))
  })

  it('leaves unusual and malformed input to decode, which gives the value or error', () => {
    const valid = encodeCbor(envelope)
    const inputs: Uint8Array[] = []
    for (let length = 0; length < valid.length; length += 7) inputs.push(valid.slice(0, length))
    inputs.push(
      concatBytes(valid, Uint8Array.of(0)), // trailing byte
      Uint8Array.of(0x9f, 0x01, 0x02, 0xff), // indefinite-length array
      Uint8Array.of(0xbf, 0x61, 0x61, 0x01, 0xff), // indefinite-length map
      Uint8Array.of(0x5f, 0x41, 0x01, 0xff), // indefinite-length byte string
      Uint8Array.of(0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), // float
      Uint8Array.of(0xc1, 0x01), // another tag
      Uint8Array.of(0xa1, 0x01, 0x02), // a map key that is not text
      Uint8Array.of(0x82, 0x01, 0xff), // a break inside a definite array
      Uint8Array.of(0x1f), // an integer of indefinite length
      Uint8Array.of(0x1c), // reserved head
      Uint8Array.of(0x62, 0xff, 0xfe) // text that is not UTF-8
    )
    for (const bytes of inputs) expectSameVerdict(bytes)
    expect(inputs.filter((b) => 'error' in outcome(referenceDecode, b)).length).toBeGreaterThan(inputs.length / 2)
  })

  it('never disagrees with decode on thousands of randomly corrupted envelopes', () => {
    const next = pseudoRandom(42)
    const valid = encodeCbor({ ...envelope, content: { ...envelope.content, arg: filled(40, 6) } })
    for (let i = 0; i < 3000; i++) {
      const bytes = valid.slice()
      const flips = 1 + Math.floor(next() * 3)
      for (let f = 0; f < flips; f++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256)
      expectSameVerdict(bytes)
    }
  })
})
