/**
 * The four snapshot-data methods of the management canister, in the exact shapes of
 * `IcManagementCanister` from `@icp-sdk/canisters/ic-management` 3.6.0, so that class (or the
 * project's wrapper in `core/ic/management.ts`) satisfies this interface structurally and the
 * transfer engine never needs to know which one it was given.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_data
 */
import type { Principal } from '@icp-sdk/core/principal'

// Restated rather than imported: the package's `ic-management/index.d.ts` re-exports its types with
// extensionless paths, which NodeNext resolution does not follow.

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

/** `ReadCanisterSnapshotMetadataResponse` of `@icp-sdk/canisters`, restated so callers need not import its internals. */
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

export type SnapshotGlobal = { f32: number } | { f64: number } | { i32: number } | { i64: bigint } | { v128: bigint }

/** Snapshot ids travel as plain lowercase hex (what dfx and icp print) or raw bytes. */
export type SnapshotIdParam = string | Uint8Array

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
}
