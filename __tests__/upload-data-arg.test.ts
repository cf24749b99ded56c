import { describe, expect, it } from '@jest/globals'
import type { Agent } from '@icp-sdk/core/agent'
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import type { UploadSnapshotDataParams } from '../src/core/ic/management.types.js'
import { encodeUploadDataArg, uploadChunkFrame } from '../src/core/ic/upload-data-arg.js'

/** The argument bytes IcManagementCanister itself sends for `params` (captured from a stub agent). */
async function libraryArg(params: UploadSnapshotDataParams): Promise<Uint8Array> {
  let captured: Uint8Array | undefined
  const agent = {
    rootKey: new Uint8Array(0),
    update: async (_canister: unknown, fields: { arg: Uint8Array }) => {
      captured = fields.arg
      throw new Error('captured')
    }
  } as unknown as Agent
  const ic = IcManagementCanister.create({ agent })
  await ic.uploadCanisterSnapshotData(params).catch(() => undefined)
  if (captured === undefined) throw new Error('the stub agent saw no call')
  return captured
}

const canisterId = Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai')
const snapshotId = Uint8Array.from(Buffer.from('000000000000000101010000000000000007', 'hex'))

describe('encodeUploadDataArg', () => {
  const kinds: UploadSnapshotDataParams['kind'][] = [
    { wasmModule: { offset: 0n } },
    { wasmMemory: { offset: 2_000_000n } },
    { stableMemory: { offset: 2n ** 40n } },
    { wasmChunk: null }
  ]

  it.each(kinds)('writes the bytes IcManagementCanister writes, for every chunk size (%o)', async (kind) => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 2_000_000]) {
      const chunk = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff)
      const params = { canisterId, snapshotId, kind, chunk }
      const ours = Buffer.from(encodeUploadDataArg(params))
      // Buffer comparison: Jest's deep equality takes seconds over 2 MB.
      expect(ours.equals(Buffer.from(await libraryArg(params)))).toBe(true)
    }
  })

  it('accepts the snapshot ID as hex, as the library does', async () => {
    const params = { canisterId, snapshotId: Buffer.from(snapshotId).toString('hex'), kind: kinds[1]!, chunk: new Uint8Array(300).fill(9) }
    expect(Buffer.from(encodeUploadDataArg(params)).equals(Buffer.from(await libraryArg(params)))).toBe(true)
  })

  it('sends a chunk read into its frame as the frame itself, and copies it for any other target', async () => {
    const target = { canisterId, snapshotId, kind: { wasmMemory: { offset: 4_000_000n } } }
    const room = uploadChunkFrame(target, 100_000)
    room.fill(0x5a)
    const arg = encodeUploadDataArg({ ...target, chunk: room })
    expect(arg.buffer).toBe(room.buffer)
    expect(Buffer.from(arg).equals(Buffer.from(await libraryArg({ ...target, chunk: room })))).toBe(true)
    // The same bytes for another offset (a retry would never do this, but a mix-up must not send the wrong frame).
    const other = { ...target, kind: { wasmMemory: { offset: 6_000_000n } } }
    const copied = encodeUploadDataArg({ ...other, chunk: room })
    expect(copied.buffer).not.toBe(room.buffer)
    expect(Buffer.from(copied).equals(Buffer.from(await libraryArg({ ...other, chunk: room })))).toBe(true)
  })

  it('decodes back to the same argument', () => {
    const chunk = new Uint8Array(70_000).fill(5)
    const decoded = IDL.decode(
      [
        IDL.Record({
          chunk: IDL.Vec(IDL.Nat8),
          kind: IDL.Variant({ wasm_module: IDL.Record({ offset: IDL.Nat64 }), wasm_memory: IDL.Record({ offset: IDL.Nat64 }), stable_memory: IDL.Record({ offset: IDL.Nat64 }), wasm_chunk: IDL.Null }),
          canister_id: IDL.Principal,
          snapshot_id: IDL.Vec(IDL.Nat8)
        })
      ],
      encodeUploadDataArg({ canisterId, snapshotId, kind: { stableMemory: { offset: 4_000_000n } }, chunk })
    )[0] as unknown as { chunk: Uint8Array; kind: { stable_memory: { offset: bigint } }; canister_id: Principal; snapshot_id: Uint8Array }
    expect(decoded.chunk).toHaveLength(70_000)
    expect(decoded.chunk.every((b) => b === 5)).toBe(true)
    expect(decoded.kind.stable_memory.offset).toBe(4_000_000n)
    expect(decoded.canister_id.toText()).toBe(canisterId.toText())
    expect(Buffer.from(decoded.snapshot_id).equals(Buffer.from(snapshotId))).toBe(true)
  })
})
