/**
 * Charging a canister for management operations, with the replica's two failure modes:
 * the new memory would push the canister below its freezing threshold (IC0532), or the
 * instructions cannot be paid without going below it (IC0207).
 */
import type { CanisterRecord } from './canister-state.js'
import { memoryUsage } from './canister-state.js'
import { freezingThresholdCycles } from './cycles.js'
import { Errors, fail } from './errors.js'

/**
 * Charges `instructions` (one cycle each) for an operation that adds `newBytes` of memory.
 * The sender is a controller in every caller, so the error reveals the top-up amount as the
 * replica does for controllers.
 */
export function chargeSnapshotOperation(canister: CanisterRecord, instructions: bigint, newBytes: bigint): void {
  const threshold = freezingThresholdCycles(memoryUsage(canister) + newBytes, canister.settings.freezingThreshold)
  if (newBytes > 0n && canister.cycles < threshold) {
    fail(Errors.insufficientCyclesInMemoryGrow(newBytes, threshold - canister.cycles))
  }
  if (canister.cycles < threshold + instructions) {
    fail(Errors.snapshotNotEnoughCycles(canister.id, threshold + instructions - canister.cycles))
  }
  canister.cycles -= instructions
}

/** Whether the canister can pay `fee` without dropping below its freezing threshold. */
export function canPay(canister: CanisterRecord, fee: bigint): boolean {
  const threshold = freezingThresholdCycles(memoryUsage(canister), canister.settings.freezingThreshold)
  return canister.cycles >= threshold + fee
}
