/**
 * Types of the `IcManagementCanister` methods this project calls, restated from
 * `@icp-sdk/canisters@3.6.0` `ic-management/ic-management.canister.d.ts`, `types/snapshot.params.d.ts`,
 * `types/snapshot.responses.d.ts` and `declarations/ic-management/ic-management.d.ts`.
 *
 * Why restated: that package's declaration files import `../declarations`, a directory without an
 * `index.d.ts`, so under NodeNext resolution every type it exports degrades to `any`. The runtime
 * class is fine; `management.ts` casts it to `IcManagementService` in one place.
 */
import type { Principal } from '@icp-sdk/core/principal'

export type SnapshotIdParam = string | Uint8Array

export interface CandidSnapshot {
  id: Uint8Array | number[]
  total_size: bigint
  taken_at_timestamp: bigint
}

export interface CandidCanisterStatus {
  status: { stopped: null } | { stopping: null } | { running: null }
  memory_size: bigint
  memory_metrics: {
    wasm_binary_size: bigint
    wasm_chunk_store_size: bigint
    canister_history_size: bigint
    stable_memory_size: bigint
    snapshots_size: bigint
    wasm_memory_size: bigint
    global_memory_size: bigint
    custom_sections_size: bigint
  }
  cycles: bigint
  settings: { controllers: Principal[]; freezing_threshold: bigint }
  idle_cycles_burned_per_day: bigint
  module_hash: [] | [Uint8Array | number[]]
  reserved_cycles: bigint
}

export type SnapshotGlobal = { f32: number } | { f64: number } | { i32: number } | { i64: bigint } | { v128: bigint }

export interface SnapshotMetadata {
  globals: SnapshotGlobal[]
  canisterVersion: bigint
  source: { metadataUpload: unknown } | { takenFromCanister: unknown }
  certifiedData: Uint8Array
  globalTimer?: { active: bigint } | { inactive: null }
  onLowWasmMemoryHookStatus?: { conditionNotSatisfied: null } | { executed: null } | { ready: null }
  wasmModuleSize: bigint
  stableMemorySize: bigint
  wasmChunkStore: Array<{ hash: Uint8Array }>
  takenAtTimestamp: bigint
  wasmMemorySize: bigint
}

export type CanisterSnapshotMetadataKind =
  | { wasmModule: { size: bigint; offset: bigint } }
  | { wasmMemory: { size: bigint; offset: bigint } }
  | { stableMemory: { size: bigint; offset: bigint } }
  | { wasmChunk: { hash: Uint8Array } }

export type UploadCanisterSnapshotDataKind =
  | { wasmModule: { offset: bigint } }
  | { wasmMemory: { offset: bigint } }
  | { stableMemory: { offset: bigint } }
  | { wasmChunk: null }

export type UploadCanisterSnapshotMetadataParam = Pick<
  SnapshotMetadata,
  'globals' | 'certifiedData' | 'globalTimer' | 'onLowWasmMemoryHookStatus' | 'wasmModuleSize' | 'stableMemorySize' | 'wasmMemorySize'
>

export interface SnapshotParams {
  canisterId: Principal
  snapshotId: SnapshotIdParam
}

export interface ReadSnapshotDataParams extends SnapshotParams {
  kind: CanisterSnapshotMetadataKind
}

export interface UploadSnapshotMetadataParams {
  canisterId: Principal
  snapshotId?: SnapshotIdParam
  metadata: UploadCanisterSnapshotMetadataParam
}

export interface UploadSnapshotDataParams extends SnapshotParams {
  kind: UploadCanisterSnapshotDataKind
  chunk: Uint8Array
}

/** The subset of `IcManagementCanister` used here. */
export interface IcManagementService {
  canisterStatus(params: { canisterId: Principal; certified?: boolean }): Promise<CandidCanisterStatus>
  stopCanister(canisterId: Principal): Promise<void>
  startCanister(canisterId: Principal): Promise<void>
  takeCanisterSnapshot(params: { canisterId: Principal; snapshotId?: SnapshotIdParam }): Promise<CandidSnapshot>
  loadCanisterSnapshot(params: SnapshotParams): Promise<void>
  listCanisterSnapshots(params: { canisterId: Principal }): Promise<CandidSnapshot[]>
  deleteCanisterSnapshot(params: SnapshotParams): Promise<void>
  readCanisterSnapshotMetadata(params: SnapshotParams): Promise<SnapshotMetadata>
  readCanisterSnapshotData(params: ReadSnapshotDataParams): Promise<{ chunk: Uint8Array | number[] }>
  uploadCanisterSnapshotMetadata(params: UploadSnapshotMetadataParams): Promise<{ snapshot_id: Uint8Array | number[] }>
  uploadCanisterSnapshotData(params: UploadSnapshotDataParams): Promise<void>
}
