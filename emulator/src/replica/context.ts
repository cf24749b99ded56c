/**
 * What management-canister handlers need from the replica. Kept as an interface so each group of
 * methods lives in its own module without importing the replica class.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { Clock, ExecutionEnv, WasmEngine } from '../contracts.js'
import type { CanisterRecord } from './canister-state.js'
import type { ReplyShape } from './reply-shapes.js'

export interface ReplicaContext {
  readonly clock: Clock
  readonly engine: WasmEngine
  readonly stopTimeoutMs: number
  /** Which replica's records the replies take (see reply-shapes.ts). */
  readonly replyShape: ReplyShape
  /** Throws IC0301 when the canister does not exist. */
  requireCanister(id: Principal): CanisterRecord
  /** Throws IC0512 unless `sender` controls `canister`. */
  requireController(canister: CanisterRecord, sender: Principal): void
  canister(id: Principal): CanisterRecord | undefined
  /**
   * Whether two canisters live on the same subnet. A subnet's state holds only its own canisters'
   * snapshots, so a snapshot ID of another subnet's canister is not found there.
   */
  sameSubnet(a: Principal, b: Principal): boolean
  /** `subnet` picks the canister id range (default the first subnet's). */
  createCanister(opts: { controllers: Principal[]; cycles: bigint; specifiedId?: Principal; subnet?: number }): CanisterRecord
  deleteCanister(canister: CanisterRecord): void
  executionEnv(canister: CanisterRecord, caller: Principal): ExecutionEnv
}

export interface MessageArgs {
  sender: Principal
  arg: Uint8Array
}

/** A management method: returns the Candid reply or throws a `RejectError`. */
export type ManagementHandler = (ctx: ReplicaContext, msg: MessageArgs) => Uint8Array | Promise<Uint8Array>
