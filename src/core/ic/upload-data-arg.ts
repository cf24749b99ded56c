/**
 * The Candid argument of `upload_canister_snapshot_data`, with its chunk copied once.
 *
 * `IDL.encode` copies a blob into its own buffer and again at each level of concatenation above it
 * (record, argument list, message): for a 2 MB slice ≈ 2.6 ms of CPU per call (profiled), and
 * three 2 MB buffers of garbage, among the largest client costs of an upload with hashing and GC. Here `IDL.encode` still writes everything
 * but the chunk, around an empty one (a few dozen bytes), and the chunk goes where that empty
 * blob's length stands. Where the splice goes is found by a second encode with a one-byte chunk,
 * which also proves the splice: both encodings must differ exactly there.
 *
 * `uploadChunkFrame` goes one step further for the transfer engine: it returns the argument with
 * room for the chunk, so the slice is read from disk straight into the message and the argument
 * handed to the agent is that same buffer (one 2 MB buffer per slice in flight instead of two).
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-upload_canister_snapshot_data
 */
import { IDL, lebEncode } from '@icp-sdk/core/candid'
import type { Principal } from '@icp-sdk/core/principal'
import { snapshotIdToBytes, snapshotIdToHex } from '../snapshot-id.js'
import type { UploadSnapshotDataParams } from './management.types.js'

/** As @icp-sdk/canisters declares it (a test pins the bytes to what `IcManagementCanister` sends). */
const UploadArgs = IDL.Record({
  chunk: IDL.Vec(IDL.Nat8),
  kind: IDL.Variant({
    wasm_module: IDL.Record({ offset: IDL.Nat64 }),
    wasm_memory: IDL.Record({ offset: IDL.Nat64 }),
    stable_memory: IDL.Record({ offset: IDL.Nat64 }),
    wasm_chunk: IDL.Null
  }),
  canister_id: IDL.Principal,
  snapshot_id: IDL.Vec(IDL.Nat8)
})

const MARK = 0x2a

export type UploadDataTarget = Omit<UploadSnapshotDataParams, 'chunk'>

/** Arguments whose chunk was read into place, by the chunk view handed out for them. */
const framed = new WeakMap<Uint8Array, { arg: Uint8Array; target: string }>()

/**
 * The argument for `target` with `chunkLength` bytes of room; returns the room. Reading the chunk
 * into it and passing it as `chunk` to `encodeUploadDataArg` sends it without a copy.
 */
export function uploadChunkFrame(target: UploadDataTarget, chunkLength: number): Uint8Array {
  const { arg, chunk } = frame(target, chunkLength)
  framed.set(chunk, { arg, target: targetKey(target) })
  return chunk
}

export function encodeUploadDataArg(params: UploadSnapshotDataParams): Uint8Array {
  const inPlace = framed.get(params.chunk)
  if (inPlace !== undefined && inPlace.target === targetKey(params)) return inPlace.arg
  const { arg, chunk } = frame(params, params.chunk.length)
  chunk.set(params.chunk)
  return arg
}

function frame(target: UploadDataTarget, chunkLength: number): { arg: Uint8Array; chunk: Uint8Array } {
  const { around, at } = encodeAroundEmptyChunk(target)
  const length = lebEncode(chunkLength)
  const arg = new Uint8Array(around.length - 1 + length.length + chunkLength)
  arg.set(around.subarray(0, at))
  arg.set(length, at)
  arg.set(around.subarray(at + 1), at + length.length + chunkLength)
  return { arg, chunk: arg.subarray(at + length.length, at + length.length + chunkLength) }
}

/** The encoding with an empty chunk, and where that chunk's length (one 0 byte) stands. */
function encodeAroundEmptyChunk({ canisterId, snapshotId, kind }: UploadDataTarget): { around: Uint8Array; at: number } {
  const rest = { canister_id: canisterId satisfies Principal, snapshot_id: snapshotIdBytes(snapshotId), kind: candidKind(kind) }
  const around = IDL.encode([UploadArgs], [{ ...rest, chunk: new Uint8Array(0) }])
  const marked = IDL.encode([UploadArgs], [{ ...rest, chunk: Uint8Array.of(MARK) }])
  let at = 0
  while (at < around.length && around[at] === marked[at]) at++
  const spliceable =
    marked.length === around.length + 1 && around[at] === 0 && marked[at] === 1 && marked[at + 1] === MARK && sameBytes(marked.subarray(at + 2), around.subarray(at + 1))
  if (!spliceable) throw new Error('upload_canister_snapshot_data: the Candid encoding of an empty chunk could not be located (unexpected encoder output)')
  return { around, at }
}

function targetKey({ canisterId, snapshotId, kind }: UploadDataTarget): string {
  const offset = 'wasmChunk' in kind ? '' : String(Object.values(kind)[0]?.offset)
  return `${canisterId.toText()}/${typeof snapshotId === 'string' ? snapshotId.toLowerCase() : snapshotIdToHex(snapshotId)}/${Object.keys(kind)[0] ?? ''}/${offset}`
}

function candidKind(kind: UploadSnapshotDataParams['kind']): Record<string, unknown> {
  if ('wasmModule' in kind) return { wasm_module: kind.wasmModule }
  if ('wasmMemory' in kind) return { wasm_memory: kind.wasmMemory }
  if ('stableMemory' in kind) return { stable_memory: kind.stableMemory }
  return { wasm_chunk: null }
}

/** A snapshot ID as hex or bytes, as the Candid argument's `snapshot_id` blob. */
export function snapshotIdBytes(id: UploadSnapshotDataParams['snapshotId']): Uint8Array {
  return typeof id === 'string' ? snapshotIdToBytes(id) : id
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}
