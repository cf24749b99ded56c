/**
 * Snapshot IDs as tools print them: lowercase hex, no `0x`. The bytes are an 8-byte big-endian
 * per-canister counter followed by the owner canister's principal (replica
 * `rs/types/base_types/src/lib.rs`), so the owner can be checked before any network call.
 */
import { Principal } from '@icp-sdk/core/principal'
import { InputError, SnapshotOwnershipError } from './errors.js'
import { Inputs } from '../constants.js'

/** Lowercase hex of the snapshot ID bytes. */
export type SnapshotId = string

const LOCAL_ID_BYTES = 8
/** Principals are at most 29 bytes. */
const MAX_BYTES = LOCAL_ID_BYTES + 29

export function snapshotIdToHex(bytes: Uint8Array | number[]): SnapshotId {
  return Buffer.from(Uint8Array.from(bytes)).toString('hex')
}

export function snapshotIdToBytes(id: SnapshotId): Uint8Array {
  return Uint8Array.from(Buffer.from(id, 'hex'))
}

/** Validates the textual form; `input` names the action input for the error message. */
export function parseSnapshotId(text: string, input: string = Inputs.SnapshotId): SnapshotId {
  const hex = text.trim().toLowerCase().replace(/^0x/, '')
  const accepted = 'a snapshot ID in hex as printed by `icp canister snapshot list` (36 hex characters for a standard canister)'
  if (!/^[0-9a-f]+$/.test(hex) || hex.length % 2 !== 0) throw new InputError(input, accepted, text)
  const length = hex.length / 2
  if (length <= LOCAL_ID_BYTES || length > MAX_BYTES) throw new InputError(input, accepted, text)
  return hex
}

/** The canister the snapshot belongs to. */
export function snapshotOwner(id: SnapshotId): Principal {
  return Principal.fromUint8Array(snapshotIdToBytes(id).slice(LOCAL_ID_BYTES))
}

/** The per-canister counter; larger means taken later on the same canister. */
export function snapshotLocalId(id: SnapshotId): bigint {
  return Buffer.from(snapshotIdToBytes(id).slice(0, LOCAL_ID_BYTES)).readBigUInt64BE()
}

/** Refuses, before any call, a snapshot ID that belongs to another canister. */
export function assertSnapshotOwner(id: SnapshotId, canisterId: string): void {
  if (snapshotOwner(id).toText() !== canisterId) throw new SnapshotOwnershipError({ canisterId, snapshotId: id })
}
