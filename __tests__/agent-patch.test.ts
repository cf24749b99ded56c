/**
 * The agent patches (patches/README.md) swap the SHA-256 implementation and remove copies of a
 * reply; these tests pin that the agent still computes exactly what the spec's pure-JS reference
 * computes, that byte strings handed out as views read the right bytes, and that the patches are
 * really in place in both builds the project loads (ESM for dist/ and Jest, CJS for tsx scripts).
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { lookup_path, lookupResultToBuffer, reconstruct, requestIdOf, type HashTree } from '@icp-sdk/core/agent'
import { decode as cborDecode, encode as cborEncode } from '@dfinity/cbor'
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import { sha256 } from '@noble/hashes/sha2'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils'

const require = createRequire(import.meta.url)
const coreRoot = join(dirname(require.resolve('@icp-sdk/core/agent')), '..', '..', '..')

const big = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff)
const domain = (s: string): Uint8Array => concatBytes(Uint8Array.of(s.length), utf8ToBytes(s))

describe('patched @icp-sdk/core', () => {
  it('computes the request ID of the interface spec example', () => {
    // https://internetcomputer.org/docs/references/ic-interface-spec#request-id
    const id = requestIdOf({
      request_type: 'call',
      sender: Principal.anonymous(),
      ingress_expiry: 1_685_570_400_000_000_000n,
      canister_id: Principal.fromUint8Array(Uint8Array.from([0, 0, 0, 0, 0, 0, 0x04, 0xd2])),
      method_name: 'hello',
      arg: Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 0x00, 0xfd, 0x2a])
    })
    expect(Buffer.from(id).toString('hex')).toBe('1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101')
  })

  it('hashes a 2 MB argument in a request ID as the pure-JS reference does', () => {
    const arg = big(2_000_000)
    const keyValue = (k: string, v: Uint8Array) => concatBytes(sha256(utf8ToBytes(k)), v)
    // One field only, so the sorted concatenation is just that field's pair.
    const expected = sha256(keyValue('arg', sha256(arg)))
    expect(Buffer.from(requestIdOf({ arg })).toString('hex')).toBe(Buffer.from(expected).toString('hex'))
  })

  it('hashes a large argument once per array and still by content', () => {
    const arg = big(2_000_000)
    const first = Buffer.from(requestIdOf({ arg })).toString('hex')
    expect(Buffer.from(requestIdOf({ arg })).toString('hex')).toBe(first)
    expect(Buffer.from(requestIdOf({ arg: Uint8Array.from(arg) })).toString('hex')).toBe(first)
    const other = Uint8Array.from(arg)
    other[1_999_999] = (other[1_999_999] ?? 0) ^ 1
    expect(Buffer.from(requestIdOf({ arg: other })).toString('hex')).not.toBe(first)
  })

  it('rebuilds the root of a tree with a 2 MB leaf as the pure-JS reference does', async () => {
    const reply = big(2_000_000)
    const label = utf8ToBytes('reply')
    const tree: HashTree = [1, [2, label, [3, reply]], [4, new Uint8Array(32).fill(9)]] as unknown as HashTree
    const leaf = sha256(concatBytes(domain('ic-hashtree-leaf'), reply))
    const labeled = sha256(concatBytes(domain('ic-hashtree-labeled'), label, leaf))
    const root = sha256(concatBytes(domain('ic-hashtree-fork'), labeled, new Uint8Array(32).fill(9)))
    expect(Buffer.from(await reconstruct(tree)).toString('hex')).toBe(Buffer.from(root).toString('hex'))
    const empty = sha256(domain('ic-hashtree-empty'))
    expect(Buffer.from(await reconstruct([0] as unknown as HashTree)).toString('hex')).toBe(Buffer.from(empty).toString('hex'))
  })

  it('decodes Candid with signed LEB128 type codes around a large blob', () => {
    const Chunk = IDL.Record({ chunk: IDL.Vec(IDL.Nat8), delta: IDL.Int, flags: IDL.Vec(IDL.Int8) })
    const value = { chunk: big(2_000_000), delta: -123_456_789n, flags: [-1, 0, 127, -128] }
    const [decoded] = IDL.decode([Chunk], IDL.encode([Chunk], [value])) as unknown as [typeof value]
    expect(decoded.delta).toBe(-123_456_789n)
    expect(Array.from(decoded.flags)).toEqual([-1, 0, 127, -128])
    expect(Buffer.from(decoded.chunk).equals(Buffer.from(value.chunk))).toBe(true)
  })

  it('decodes Candid from a view that starts inside its buffer', () => {
    const Chunk = IDL.Record({ chunk: IDL.Vec(IDL.Nat8) })
    const encoded = IDL.encode([Chunk], [{ chunk: big(300_000) }])
    const padded = new Uint8Array(encoded.byteLength + 1000)
    padded.set(encoded, 777)
    const [decoded] = IDL.decode([Chunk], padded.subarray(777, 777 + encoded.byteLength)) as unknown as [{ chunk: Uint8Array }]
    expect(Buffer.from(decoded.chunk).equals(Buffer.from(big(300_000)))).toBe(true)
  })

  it('finds a certificate leaf that is a view, large or small', () => {
    const reply = big(2_000_000)
    const status = utf8ToBytes('replied')
    const certificate = cborDecode<{ tree: HashTree }>(cborEncode({ tree: [1, [2, utf8ToBytes('reply'), [3, reply]], [2, utf8ToBytes('status'), [3, status]]] }))
    const found = lookupResultToBuffer(lookup_path(['reply'], certificate.tree))
    expect(found?.byteOffset).toBeGreaterThan(0)
    expect(Buffer.from(found ?? []).equals(Buffer.from(reply))).toBe(true)
    const small = lookupResultToBuffer(lookup_path(['status'], certificate.tree))
    expect(Buffer.from(small ?? []).toString()).toBe('replied')
    // A small leaf is its own copy, so it does not keep the whole certificate alive.
    expect(small?.buffer.byteLength).toBe(status.byteLength)
  })

  it('hands out a large CBOR byte string as a view of the input and copies small ones', () => {
    const input = cborEncode({ big: big(100_000), small: big(100) })
    const decoded = cborDecode<{ big: Uint8Array; small: Uint8Array }>(input)
    expect(decoded.big.buffer).toBe(input.buffer)
    expect(Buffer.from(decoded.big).equals(Buffer.from(big(100_000)))).toBe(true)
    expect(decoded.small.buffer).not.toBe(input.buffer)
    expect(Buffer.from(decoded.small).equals(Buffer.from(big(100)))).toBe(true)
  })

  it('hands out a large CBOR encoding without copying it, and the next encoding does not overwrite it', () => {
    const first = cborEncode({ arg: big(100_000) })
    const second = cborEncode({ arg: new Uint8Array(100_000).fill(1) })
    const small = cborEncode({ arg: big(10) })
    // Written once: the result is a view of the buffer it was encoded into (sized in powers of two).
    expect(first.buffer.byteLength).toBeGreaterThan(first.byteLength)
    expect(second.buffer).not.toBe(first.buffer)
    expect(Buffer.from(cborDecode<{ arg: Uint8Array }>(first).arg).equals(Buffer.from(big(100_000)))).toBe(true)
    expect(cborDecode<{ arg: Uint8Array }>(second).arg.every((b) => b === 1)).toBe(true)
    expect(small.buffer.byteLength).toBe(small.byteLength)
  })

  it('encodes a blob into bytes of its own and decodes a large one as a view of the message', () => {
    const Chunk = IDL.Record({ chunk: IDL.Vec(IDL.Nat8) })
    const chunk = big(100_000)
    const encoded = IDL.encode([Chunk], [{ chunk }])
    chunk[0] = 255 - (chunk[0] ?? 0)
    const [decoded] = IDL.decode([Chunk], encoded) as unknown as [{ chunk: Uint8Array }]
    // The encoding did not alias the argument; the large result shares the message's bytes.
    expect(decoded.chunk[0]).toBe(big(1)[0])
    expect(decoded.chunk.buffer).toBe(encoded.buffer)
    expect(Buffer.from(decoded.chunk).equals(Buffer.from(big(100_000)))).toBe(true)
    const [small] = IDL.decode([Chunk], IDL.encode([Chunk], [{ chunk: big(100) }])) as unknown as [{ chunk: Uint8Array }]
    expect(small.chunk.buffer.byteLength).toBe(100)
  })

  it('is applied to the ESM and the CJS build', () => {
    const has = (path: string, text: string): string => `${path}: ${String(readFileSync(path, 'utf8').includes(text))}`
    for (const build of ['esm', 'cjs']) {
      const lib = join(coreRoot, 'lib', build)
      for (const file of ['agent/certificate.js', 'agent/request_id.js']) expect(has(join(lib, file), 'node:crypto')).toMatch(/: true$/)
      expect(has(join(lib, 'candid/utils/leb128.js'), 'pipe.save()')).toMatch(/: true$/)
      expect(has(join(lib, 'agent/agent/http/index.js'), 'clone().arrayBuffer()')).toMatch(/: false$/)
      expect(has(join(lib, 'agent/certificate.js'), 'tree[1].slice(tree[1].byteOffset')).toMatch(/: false$/)
      expect(has(join(lib, 'candid/utils/buffer.js'), 'this._buffer.byteOffset, length')).toMatch(/: true$/)
      expect(has(join(lib, 'candid/idl.js'), 'x instanceof Uint8Array ? x : new Uint8Array(x)')).toMatch(/: true$/)
      expect(has(join(lib, 'candid/idl.js'), 'encodedArgs.length === 1')).toMatch(/: true$/)
      expect(has(join(lib, 'agent/request_id.js'), 'largeDigests')).toMatch(/: true$/)
    }
    const cborRoot = dirname(require.resolve('@dfinity/cbor'))
    for (const file of ['cbor.mjs', 'cbor.umd.js']) {
      expect(has(join(cborRoot, file), 'subarray')).toMatch(/: true$/)
      expect(has(join(cborRoot, file), 'takeOutput()')).toMatch(/: true$/)
    }
  })
})
