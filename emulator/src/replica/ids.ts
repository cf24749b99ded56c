/**
 * Canister and snapshot identifiers in the IC's byte layout.
 *
 * Canister ids: 8-byte big-endian index followed by `0x01 0x01` (an opaque id of class "canister"),
 * as a local replica allocates them; index 0 is `rwlgt-iiaaa-aaaaa-aaaaa-cai`.
 * Snapshot ids: 8-byte big-endian per-canister counter followed by the canister's principal bytes
 * (dfinity/ic `rs/types/base_types/src/lib.rs`, `SnapshotId`).
 */
import { Principal } from '@icp-sdk/core/principal'
import { Errors, fail } from './errors.js'

export function canisterIdFromIndex(index: bigint): Principal {
  const bytes = new Uint8Array(10)
  new DataView(bytes.buffer).setBigUint64(0, index)
  bytes[8] = 0x01
  bytes[9] = 0x01
  return Principal.fromUint8Array(bytes)
}

export interface SnapshotId {
  localId: bigint
  canisterId: Principal
  bytes: Uint8Array
}

export function makeSnapshotId(canisterId: Principal, localId: bigint): SnapshotId {
  const principal = canisterId.toUint8Array()
  const bytes = new Uint8Array(8 + principal.length)
  new DataView(bytes.buffer).setBigUint64(0, localId)
  bytes.set(principal, 8)
  return { localId, canisterId, bytes }
}

const MIN_SNAPSHOT_ID_LENGTH = 8
const MAX_SNAPSHOT_ID_LENGTH = 8 + 29

/** Parses a snapshot id blob, refusing malformed ones with the replica's wording (IC0408). */
export function parseSnapshotId(bytes: Uint8Array): SnapshotId {
  if (bytes.length < MIN_SNAPSHOT_ID_LENGTH + 1) {
    fail(
      Errors.invalidSnapshotId(
        `Invalid snapshot ID length: provided ${bytes.length}, minumum length expected ${MIN_SNAPSHOT_ID_LENGTH + 1}.`
      )
    )
  }
  if (bytes.length > MAX_SNAPSHOT_ID_LENGTH) {
    fail(
      Errors.invalidSnapshotId(
        `Invalid snapshot ID length: provided ${bytes.length}, maximum length expected ${MAX_SNAPSHOT_ID_LENGTH}.`
      )
    )
  }
  const localId = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0)
  const canisterId = Principal.fromUint8Array(bytes.slice(8))
  return { localId, canisterId, bytes: bytes.slice() }
}

/** How replica messages print a snapshot id: `<canister>-<local id>`. */
export function snapshotLabel(id: SnapshotId): string {
  return `${id.canisterId.toText()}-${id.localId}`
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
