/**
 * The four snapshot-data methods of the management canister, in the exact shapes of
 * `IcManagementCanister` from `@icp-sdk/canisters/ic-management` 3.6.0, so that class (or the
 * project's wrapper in `core/ic/management.ts`) satisfies this interface structurally and the
 * transfer engine never needs to know which one it was given.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_data
 */
import type { Principal } from '@icp-sdk/core/principal'

import type {
  CanisterSnapshotMetadataKind,
  SnapshotIdParam,
  SnapshotMetadata,
  UploadCanisterSnapshotDataKind,
  UploadCanisterSnapshotMetadataParam
} from '../ic/management.types.js'

// The shapes are stated once, next to the management client (the package's own types degrade to
// `any` under NodeNext); the transfer engine's callers import them from here.
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
