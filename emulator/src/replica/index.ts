/**
 * The replica layer of the emulator: canister state, the management canister and snapshots.
 */
export { IcReplica } from './replica.js'
export type { CreateCanisterOptions, IcReplicaOptions, ReplicaFaults, SubnetLayout } from './replica.js'
export type { CanisterStatus, CanisterView, SnapshotView } from './canister-state.js'
export { MAX_SLICE_SIZE_BYTES, MAX_SNAPSHOTS_PER_CANISTER } from './snapshot-methods.js'
