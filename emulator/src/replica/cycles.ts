/**
 * A simplified, but real enough, cycles model: costs are charged to the canister and a canister
 * cannot spend below its freezing threshold, so "not enough cycles" does happen.
 *
 * Prices from `dfinity/developer-docs` `docs/references/cycle-costs.md` (13-node subnet) and the
 * snapshot baselines of `dfinity/ic` `rs/config/src/subnet_config.rs` and
 * `rs/execution_environment/src/canister_manager.rs`. One instruction costs one cycle here.
 */
export const DEFAULT_PROVISIONAL_CYCLES = 100_000_000_000_000n
/** Update message execution fee. */
export const UPDATE_BASE_FEE = 5_000_000n
/** "Baseline cost for creating or loading a canister snapshot (2B instructions)". */
export const SNAPSHOT_BASELINE_INSTRUCTIONS = 2_000_000_000n
/** "Baseline cost for up/downloading binary snapshot data (5M instructions)". */
export const SNAPSHOT_DATA_BASELINE_INSTRUCTIONS = 5_000_000n

const STORAGE_CYCLES_PER_GIB_SECOND = 127_000n
const GIB = 1n << 30n
const SECONDS_PER_DAY = 86_400n

export function idleCyclesBurnedPerDay(memoryBytes: bigint): bigint {
  return (memoryBytes * STORAGE_CYCLES_PER_GIB_SECOND * SECONDS_PER_DAY) / GIB
}

/** Cycles the canister must keep to pay for `freezingThresholdSeconds` of storage. */
export function freezingThresholdCycles(memoryBytes: bigint, freezingThresholdSeconds: bigint): bigint {
  return (memoryBytes * STORAGE_CYCLES_PER_GIB_SECOND * freezingThresholdSeconds) / GIB
}
