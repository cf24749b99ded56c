/**
 * A canister snapshot as the replica stores it: the execution state plus the metadata
 * `read_canister_snapshot_metadata` reports.
 */
import type { ExecutionSnapshot } from '../contracts.js'
import type { HookStatusValue } from './candid.js'
import type { SnapshotId } from './ids.js'

export type SnapshotSource = 'taken_from_canister' | 'metadata_upload'

export interface WasmChunk {
  hash: Uint8Array
  data: Uint8Array
}

export interface Snapshot {
  id: SnapshotId
  source: SnapshotSource
  /** Nanoseconds since the epoch. */
  takenAt: bigint
  /** The canister's version when the snapshot was created. */
  canisterVersion: bigint
  /** Taken snapshots are never written again; uploaded ones receive `upload_canister_snapshot_data`. */
  state: ExecutionSnapshot
  chunkStore: WasmChunk[]
  /** `snapshotSize` at creation; uploads write into preallocated buffers, so it never changes. */
  totalSize: bigint
  onLowWasmMemoryHookStatus?: HookStatusValue
}

/** Bytes the snapshot occupies, reported as `total_size` and counted in the canister's memory. */
export function snapshotSize(state: ExecutionSnapshot, chunkStore: readonly WasmChunk[]): bigint {
  const chunks = chunkStore.reduce((sum, c) => sum + c.data.length, 0)
  return BigInt(
    state.wasmModule.length +
      state.wasmMemory.length +
      state.stableMemory.length +
      state.certifiedData.length +
      chunks
  )
}
