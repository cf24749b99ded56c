/**
 * The fast Candid paths for snapshot data are exact: the reply encoder writes what `IDL.encode`
 * writes, and the argument decoder either returns what `IDL.decode` returns or steps aside, so
 * `decodeArg` keeps the generic decoder's verdict (value or error) on everything else.
 */
import { describe, expect, it } from '@jest/globals'
import { IDL, idlLabelToId as idlLabelId } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import { blobRecordEncoder, exactDecoder } from '../src/replica/candid-fast-path.js'
import { MANAGEMENT_TYPES, decodeArg, encodeReply, type ArgOf } from '../src/replica/candid.js'
import { RejectError } from '../src/replica/errors.js'

type UploadArg = ArgOf<'upload_canister_snapshot_data'>
const UPLOAD_TYPES = MANAGEMENT_TYPES.upload_canister_snapshot_data[0]
const READ_REPLY_TYPES = MANAGEMENT_TYPES.read_canister_snapshot_data[1]
const fastUpload = exactDecoder<UploadArg>(UPLOAD_TYPES[0])

/** Deterministic bytes (xorshift32), so failures reproduce. */
function pseudoRandom(seed: number): () => number {
  let x = seed || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

function bytes(length: number, seed: number): Uint8Array {
  const next = pseudoRandom(seed)
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256)
  return out
}

const PRINCIPALS = [
  Principal.managementCanister(),
  Principal.anonymous(),
  Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai'),
  Principal.selfAuthenticating(bytes(44, 7))
]
const OFFSETS = [0n, 1n, 127n, 2n ** 32n, 2n ** 64n - 1n]
const KINDS: UploadArg['kind'][] = [
  ...OFFSETS.map((offset) => ({ wasm_module: { offset } })),
  ...OFFSETS.map((offset) => ({ wasm_memory: { offset } })),
  ...OFFSETS.map((offset) => ({ stable_memory: { offset } })),
  { wasm_chunk: null }
]
const CHUNK_SIZES = [0, 1, 127, 128, 16_383, 16_384, 2_000_000]

function uploadArgs(maxChunk = Infinity): UploadArg[] {
  const args: UploadArg[] = []
  let seed = 1
  for (const canister_id of PRINCIPALS) {
    for (const kind of KINDS) {
      args.push({ canister_id, snapshot_id: bytes(18, seed++), kind, chunk: bytes(seed % 130, seed) })
    }
  }
  for (const size of CHUNK_SIZES.filter((n) => n <= maxChunk)) {
    args.push({ canister_id: PRINCIPALS[2] as Principal, snapshot_id: bytes(18, size), kind: { stable_memory: { offset: 4096n } }, chunk: bytes(size, size + 1) })
  }
  for (const idLength of [0, 1, 8, 37, 300]) {
    args.push({ canister_id: PRINCIPALS[2] as Principal, snapshot_id: bytes(idLength, idLength + 3), kind: { wasm_chunk: null }, chunk: bytes(3, 9) })
  }
  return args
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** Deep equality, with the chunk compared as bytes (jest's toEqual walks megabytes slowly). */
function expectSameArg(actual: UploadArg | undefined, expected: UploadArg): void {
  expect(actual).toBeDefined()
  const { chunk, ...rest } = actual as UploadArg
  const { chunk: expectedChunk, ...expectedRest } = expected
  expect(rest).toEqual(expectedRest)
  expect(sameBytes(chunk, expectedChunk)).toBe(true)
}

type Outcome = { value: unknown } | { error: string }

function idlOutcome(message: Uint8Array): Outcome {
  try {
    return { value: IDL.decode(UPLOAD_TYPES, message)[0] }
  } catch (error: unknown) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
}

function decodeArgOutcome(message: Uint8Array): Outcome {
  try {
    // A fresh copy each time: decodeArg caches by the bytes object.
    return { value: decodeArg('upload_canister_snapshot_data', message.slice()) }
  } catch (error: unknown) {
    if (!(error instanceof RejectError)) throw error
    return { error: error.reject.message }
  }
}

/** decodeArg agrees with IDL.decode: the same value, or an IC0408 reject carrying its message. */
function expectSameVerdict(message: Uint8Array): void {
  const expected = idlOutcome(message)
  const actual = decodeArgOutcome(message)
  if ('value' in expected) {
    expect(actual).toEqual(expected)
  } else {
    expect(actual).toEqual({ error: `Failed to parse payload for ic00 method upload_canister_snapshot_data: ${expected.error}` })
  }
}

function leb(value: number): number[] {
  const out: number[] = []
  do {
    const low = value % 128
    value = Math.floor(value / 128)
    out.push(value > 0 ? low | 0x80 : low)
  } while (value > 0)
  return out
}

describe('read_canister_snapshot_data reply encoding', () => {
  it.each(CHUNK_SIZES)('writes the bytes IDL.encode writes for a %i-byte chunk', (size) => {
    const chunk = bytes(size, size + 11)
    const fast = encodeReply('read_canister_snapshot_data', { chunk })
    expect(sameBytes(fast, IDL.encode(READ_REPLY_TYPES, [{ chunk }]))).toBe(true)
    const [decoded] = IDL.decode(READ_REPLY_TYPES, fast) as unknown as [{ chunk: Uint8Array }]
    expect(sameBytes(decoded.chunk, chunk)).toBe(true)
  })

  it('refuses to build an encoder for anything but a record with one blob field', () => {
    expect(() => blobRecordEncoder([IDL.Record({ chunk: IDL.Nat64 })])).toThrow('a record with a single blob field')
    expect(() => blobRecordEncoder([IDL.Record({ a: IDL.Vec(IDL.Nat8), b: IDL.Vec(IDL.Nat8) })])).toThrow('a record with a single blob field')
    expect(() => blobRecordEncoder(READ_REPLY_TYPES.concat(READ_REPLY_TYPES))).toThrow('exactly one type')
  })
})

describe('upload_canister_snapshot_data argument decoding', () => {
  it('decodes every kind, principal, chunk and id size exactly as IDL.decode does', () => {
    const args = uploadArgs()
    for (const arg of args) {
      const message = IDL.encode(UPLOAD_TYPES, [arg])
      expectSameArg(fastUpload(message), IDL.decode(UPLOAD_TYPES, message)[0] as unknown as UploadArg)
      expectSameArg(decodeArg('upload_canister_snapshot_data', message), arg)
    }
    expect(args.length).toBeGreaterThan(70)
  })

  it('hands the chunk over as a view into the message, without copying it', () => {
    const message = IDL.encode(UPLOAD_TYPES, [{ canister_id: PRINCIPALS[2], snapshot_id: bytes(18, 1), kind: { wasm_chunk: null }, chunk: bytes(1000, 2) }])
    const fast = fastUpload(message) as UploadArg
    expect(fast.chunk.buffer).toBe(message.buffer)
    expect(fast.chunk).toEqual(bytes(1000, 2))
  })

  it('takes a type table written in another order, as other Candid encoders may write it', () => {
    const canister = PRINCIPALS[2] as Principal
    const id = (name: string): number[] => leb(idlLabelId(name))
    // Entries: 0 = the argument record, 1 = blob, 2 = kind, 3 = {offset}; fields sorted by id.
    const kindFields = [
      ['wasm_module', 3],
      ['wasm_memory', 3],
      ['stable_memory', 3],
      ['wasm_chunk', 0x7f]
    ] as const
    const argFields = [
      ['canister_id', 0x68],
      ['snapshot_id', 1],
      ['kind', 2],
      ['chunk', 1]
    ] as const
    const sorted = <T extends readonly [string, number]>(fields: readonly T[]): T[] => [...fields].sort((a, b) => idlLabelId(a[0]) - idlLabelId(b[0]))
    const table = [
      4,
      0x6c, argFields.length, ...sorted(argFields).flatMap(([name, ref]) => [...id(name), ref]),
      0x6d, 0x7b,
      0x6b, kindFields.length, ...sorted(kindFields).flatMap(([name, ref]) => [...id(name), ref]),
      0x6c, 1, ...id('offset'), 0x78
    ]
    const values: Record<string, number[]> = {
      canister_id: [1, ...leb(canister.toUint8Array().length), ...canister.toUint8Array()],
      snapshot_id: [3, 9, 8, 7],
      // wasm_memory is the variant's alternative at its position in id order.
      kind: [sorted(kindFields).findIndex(([name]) => name === 'wasm_memory'), 0x10, 0, 0, 0, 0, 0, 0, 0],
      chunk: [2, 0xaa, 0xbb]
    }
    const body = sorted(argFields).flatMap(([name]) => values[name] as number[])
    const message = Uint8Array.from([0x44, 0x49, 0x44, 0x4c, ...table, 1, 0, ...body])
    const expected = { canister_id: canister, snapshot_id: Uint8Array.of(9, 8, 7), kind: { wasm_memory: { offset: 16n } }, chunk: Uint8Array.of(0xaa, 0xbb) }
    expect(IDL.decode(UPLOAD_TYPES, message)).toEqual([expected])
    expect(fastUpload(message)).toEqual(expected)
  })

  it('steps aside for subtypes and other argument counts, and decodeArg still decodes them', () => {
    const canister = PRINCIPALS[2] as Principal
    const extraField = IDL.Record({
      canister_id: IDL.Principal,
      snapshot_id: IDL.Vec(IDL.Nat8),
      kind: IDL.Variant({ wasm_memory: IDL.Record({ offset: IDL.Nat64 }) }),
      chunk: IDL.Vec(IDL.Nat8),
      sender_canister_version: IDL.Opt(IDL.Nat64)
    })
    const messages = [
      IDL.encode([extraField], [{ canister_id: canister, snapshot_id: bytes(18, 1), kind: { wasm_memory: { offset: 5n } }, chunk: bytes(9, 2), sender_canister_version: [3n] }]),
      IDL.encode([...UPLOAD_TYPES, IDL.Text], [{ canister_id: canister, snapshot_id: bytes(18, 1), kind: { wasm_chunk: null }, chunk: bytes(9, 2) }, 'extra'])
    ]
    for (const message of messages) {
      expect(fastUpload(message)).toBeUndefined()
      expect(idlOutcome(message)).toHaveProperty('value')
      expectSameVerdict(message)
    }
  })

  it('steps aside for malformed messages, leaving the verdict and its wording to IDL.decode', () => {
    const valid = IDL.encode(UPLOAD_TYPES, [{ canister_id: PRINCIPALS[2], snapshot_id: bytes(18, 4), kind: { stable_memory: { offset: 7n } }, chunk: bytes(40, 5) }])
    const malformed: Uint8Array[] = []
    for (let length = 0; length < valid.length; length++) malformed.push(valid.slice(0, length))
    malformed.push(Uint8Array.from([...valid, 0]))
    malformed.push(Uint8Array.from([0x44, 0x49, 0x44, 0x4d, ...valid.subarray(4)]))
    // Values follow the fixed type table in field-id order: chunk, kind, canister_id, snapshot_id.
    // With every blob empty and aaaaa-aa they take 5 bytes: 00, variant index, 01 00, 00.
    const minimal = IDL.encode(UPLOAD_TYPES, [{ canister_id: PRINCIPALS[0], snapshot_id: new Uint8Array(), kind: { wasm_chunk: null }, chunk: new Uint8Array() }])
    const valuesAt = minimal.length - 5
    const overlong = valid.slice()
    overlong[valuesAt] = 0x7f // the chunk claims 127 bytes, more than the message holds
    malformed.push(overlong)
    const badVariant = minimal.slice()
    badVariant[valuesAt + 1] = 9 // kind has four alternatives
    malformed.push(badVariant)
    const opaquePrincipal = minimal.slice()
    opaquePrincipal[valuesAt + 2] = 0 // 0 = an opaque reference, which IDL.decode refuses
    malformed.push(opaquePrincipal)
    for (const message of malformed) {
      expect(fastUpload(message)).toBeUndefined()
      expectSameVerdict(message)
    }
    expect(malformed.filter((m) => 'error' in idlOutcome(m)).length).toBeGreaterThan(valid.length / 2)
  })

  it('never disagrees with IDL.decode on thousands of randomly corrupted messages', () => {
    const next = pseudoRandom(99)
    const bases = uploadArgs(200).map((arg) => IDL.encode(UPLOAD_TYPES, [arg]))
    let fastHits = 0
    for (let i = 0; i < 3000; i++) {
      const message = (bases[i % bases.length] as Uint8Array).slice()
      const flips = 1 + Math.floor(next() * 3)
      for (let f = 0; f < flips; f++) message[Math.floor(next() * message.length)] = Math.floor(next() * 256)
      const fast = fastUpload(message)
      if (fast === undefined) continue
      fastHits++
      expect(idlOutcome(message)).toEqual({ value: fast })
    }
    // Flips inside values (ids, offsets, chunk bytes) keep the message valid: the fast path is used.
    expect(fastHits).toBeGreaterThan(300)
  })
})

