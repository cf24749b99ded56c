/**
 * The camelCase method shapes of `IcManagementCanister` (`@icp-sdk/canisters@3.6.0`
 * `ic-management/ic-management.canister.d.ts`, `types/snapshot.params.d.ts`,
 * `types/snapshot.responses.d.ts`) for the methods this project calls. The client implements them
 * over its own Candid (management-idl.ts), whose replies hold only the fields the action reads; the
 * transfer engine's `SnapshotDataClient` is stated in these shapes, so `IcManagementCanister`
 * itself would satisfy it too.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { SnapshotReply, StatusReply } from './management-idl.js'

export type SnapshotIdParam = string | Uint8Array

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

/** The subset of `IcManagementCanister`'s methods used here, with the project's minimal replies. */
export interface IcManagementService {
  canisterStatus(params: { canisterId: Principal; certified?: boolean }): Promise<StatusReply>
  stopCanister(canisterId: Principal): Promise<void>
  startCanister(canisterId: Principal): Promise<void>
  takeCanisterSnapshot(params: { canisterId: Principal; snapshotId?: SnapshotIdParam }): Promise<SnapshotReply>
  loadCanisterSnapshot(params: SnapshotParams): Promise<void>
  listCanisterSnapshots(params: { canisterId: Principal }): Promise<SnapshotReply[]>
  deleteCanisterSnapshot(params: SnapshotParams): Promise<void>
  readCanisterSnapshotMetadata(params: SnapshotParams): Promise<SnapshotMetadata>
  readCanisterSnapshotData(params: ReadSnapshotDataParams): Promise<{ chunk: Uint8Array | number[] }>
  uploadCanisterSnapshotMetadata(params: UploadSnapshotMetadataParams): Promise<{ snapshot_id: Uint8Array | number[] }>
}
