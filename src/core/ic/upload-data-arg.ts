/**
 * The Candid argument of `upload_canister_snapshot_data`, with its chunk copied once.
 *
 * `IDL.encode` copies a blob into its own buffer and again at each level of concatenation above it
 * (record, argument list, message): for a 2 MB slice ≈ 2.6 ms of CPU and 6 MB of garbage per call,
 * the largest client cost of an upload after hashing. Here `IDL.encode` still writes everything
 * but the chunk, around an empty one (a few dozen bytes), and the chunk goes where that empty
 * blob's length stands. Where the splice goes is found by a second encode with a one-byte chunk,
 * which also proves the splice: both encodings must differ exactly there.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-upload_canister_snapshot_data
 */
import { IDL, lebEncode } from '@icp-sdk/core/candid'
import type { Principal } from '@icp-sdk/core/principal'
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

export function encodeUploadDataArg({ canisterId, snapshotId, kind, chunk }: UploadSnapshotDataParams): Uint8Array {
  const rest = { canister_id: canisterId satisfies Principal, snapshot_id: snapshotIdBytes(snapshotId), kind: candidKind(kind) }
  const empty = IDL.encode([UploadArgs], [{ ...rest, chunk: new Uint8Array(0) }])
  const marked = IDL.encode([UploadArgs], [{ ...rest, chunk: Uint8Array.of(MARK) }])
  let at = 0
  while (at < empty.length && empty[at] === marked[at]) at++
  const spliceable =
    marked.length === empty.length + 1 && empty[at] === 0 && marked[at] === 1 && marked[at + 1] === MARK && sameBytes(marked.subarray(at + 2), empty.subarray(at + 1))
  if (!spliceable) throw new Error('upload_canister_snapshot_data: the Candid encoding of an empty chunk could not be located (unexpected encoder output)')
  const length = lebEncode(chunk.length)
  const out = new Uint8Array(empty.length - 1 + length.length + chunk.length)
  out.set(empty.subarray(0, at))
  out.set(length, at)
  out.set(chunk, at + length.length)
  out.set(empty.subarray(at + 1), at + length.length + chunk.length)
  return out
}

function candidKind(kind: UploadSnapshotDataParams['kind']): Record<string, unknown> {
  if ('wasmModule' in kind) return { wasm_module: kind.wasmModule }
  if ('wasmMemory' in kind) return { wasm_memory: kind.wasmMemory }
  if ('stableMemory' in kind) return { stable_memory: kind.stableMemory }
  return { wasm_chunk: null }
}

function snapshotIdBytes(id: UploadSnapshotDataParams['snapshotId']): Uint8Array {
  return typeof id === 'string' ? Uint8Array.from(Buffer.from(id, 'hex')) : id
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}
