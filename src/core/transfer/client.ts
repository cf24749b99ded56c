/**
 * The four snapshot-data methods of the management canister, in the exact shapes of
 * `IcManagementCanister` from `@icp-sdk/canisters/ic-management` 3.6.0, so that class (or the
 * project's management client in `core/ic/management.ts`, which has its own Candid) satisfies this
 * interface structurally and the transfer engine never needs to know which one it was given. The
 * engines' shared reads (a slice, a chunk's hash, a snapshot's shape) are below.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_data
 */
import { createHash } from 'node:crypto'
import type { Principal } from '@icp-sdk/core/principal'
import { TransientError } from '../errors.js'
import type { BlobKind, Slice } from './slices.js'
import { hex } from './types.js'

import type {
  CanisterSnapshotMetadataKind,
  SnapshotIdParam,
  SnapshotMetadata,
  UploadCanisterSnapshotDataKind,
  UploadCanisterSnapshotMetadataParam
} from '../ic/management.types.js'

// The shapes are stated once, next to the management client (management.types.ts); the transfer
// engine's callers import them from here.
export type {
  CanisterSnapshotMetadataKind,
  SnapshotGlobal,
  SnapshotIdParam,
  SnapshotMetadata,
  UploadCanisterSnapshotDataKind,
  UploadCanisterSnapshotMetadataParam
} from '../ic/management.types.js'

export interface SnapshotDataClient {
  readCanisterSnapshotMetadata(params: { canisterId: Principal; snapshotId: SnapshotIdParam }): Promise<SnapshotMetadata>
  readCanisterSnapshotData(params: {
    canisterId: Principal
    snapshotId: SnapshotIdParam
    kind: CanisterSnapshotMetadataKind
  }): Promise<{ chunk: Uint8Array }>
  uploadCanisterSnapshotMetadata(params: {
    canisterId: Principal
    snapshotId?: SnapshotIdParam
    metadata: UploadCanisterSnapshotMetadataParam
  }): Promise<{ snapshot_id: Uint8Array }>
  uploadCanisterSnapshotData(params: {
    canisterId: Principal
    snapshotId: SnapshotIdParam
    kind: UploadCanisterSnapshotDataKind
    chunk: Uint8Array
  }): Promise<void>
  /**
   * Room for an upload slice of `size` bytes that `uploadCanisterSnapshotData` sends without
   * copying when it is passed back as `chunk` for the same target; without it, a plain buffer.
   */
  uploadChunkBuffer?(params: { canisterId: Principal; snapshotId: SnapshotIdParam; kind: UploadCanisterSnapshotDataKind }, size: number): Uint8Array
}

/** One slice of a blob; a reply of another length is a transient failure, so a retry reads it again. */
export async function readSlice(client: Pick<SnapshotDataClient, 'readCanisterSnapshotData'>, ref: { canisterId: Principal; snapshotId: SnapshotIdParam }, kind: BlobKind, slice: Slice): Promise<Uint8Array> {
  const range = { [kind]: { offset: BigInt(slice.offset), size: BigInt(slice.size) } } as CanisterSnapshotMetadataKind
  const { chunk } = await client.readCanisterSnapshotData({ ...ref, kind: range })
  if (chunk.length !== slice.size) throw new TransientError(`The IC returned ${chunk.length} bytes for a ${slice.size}-byte slice; retrying it.`)
  return chunk
}

/** A chunk is named by its SHA-256: bytes that do not hash to it are not the chunk (a transient failure). */
export function checkChunkHash(hash: Uint8Array, bytes: Uint8Array): void {
  const digest = createHash('sha256').update(bytes).digest()
  if (!digest.equals(Buffer.from(hash))) throw new TransientError(`Wasm chunk ${hex(hash)} arrived with SHA-256 ${digest.toString('hex')}; retrying it.`)
}

/** Whether two snapshots have the same blob sizes and the same chunk store (in any order). */
export function sameShape(a: SnapshotMetadata, b: SnapshotMetadata): boolean {
  const chunks = (m: SnapshotMetadata): string => m.wasmChunkStore.map((c) => hex(c.hash)).sort().join(',')
  return a.wasmModuleSize === b.wasmModuleSize && a.wasmMemorySize === b.wasmMemorySize && a.stableMemorySize === b.stableMemorySize && chunks(a) === chunks(b)
}
