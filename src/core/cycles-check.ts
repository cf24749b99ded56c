/**
 * Cycles pre-check before a snapshot: estimates the snapshot's size from `canister_status` memory
 * metrics and what taking it costs, and decides whether it could freeze the canister.
 *
 * Cost model (https://internetcomputer.org/docs/references/cycles-cost-formulas, dfinity/ic
 * `canister_manager.rs`, 13-node subnet): taking a snapshot costs 2B baseline instructions plus one per snapshot byte, at one cycle
 * per instruction, plus the 5M update base fee; the snapshot's bytes then count as canister memory,
 * billed at 127,000 cycles per GiB per second. A canister freezes when its balance falls below its
 * freezing threshold (seconds) times its idle burn rate, and the IC refuses a memory grow (IC0532)
 * that would put it there. 34-node subnets cost about 34/13 as much, so this is an estimate.
 */
import { InputError, SnapshotActionError } from './errors.js'
import type { CanisterStatus, MemoryMetrics } from './ic/management.js'
import type { Logger } from './logger.js'

export const SNAPSHOT_BASELINE_INSTRUCTIONS = 2_000_000_000n
const CYCLES_PER_INSTRUCTION = 1n
export const UPDATE_BASE_FEE_CYCLES = 5_000_000n
export const STORAGE_CYCLES_PER_GIB_SECOND = 127_000n
const GIB = 1n << 30n
const SECONDS_PER_DAY = 86_400n
/** Below this many days between the snapshot and freezing, the check warns. */
const DEFAULT_WARN_RUNWAY_DAYS = 7

/** What the check reads of `canister_status`; `memoryMetrics` is undefined from replicas that predate it. */
export type CyclesStatusReply = Pick<CanisterStatus, 'cycles' | 'memoryMetrics' | 'freezingThreshold' | 'idleCyclesBurnedPerDay'>
/** A status the snapshot's size can be estimated from. */
export type CyclesStatus = CyclesStatusReply & { memoryMetrics: MemoryMetrics }

export interface CyclesAssessment {
  level: 'ok' | 'warn' | 'fail'
  estimatedSnapshotBytes: bigint
  /** Cycles charged for taking the snapshot. */
  takeCostCycles: bigint
  /** Balance left right after the snapshot. */
  cyclesAfter: bigint
  /** Balance below which the canister is frozen once the snapshot's memory is billed. */
  freezingLimitAfter: bigint
  /** Idle burn per day with the snapshot's storage added. */
  idleCyclesPerDayAfter: bigint
  /** Days until the canister freezes after the snapshot; undefined when it burns nothing. */
  runwayDays: number | undefined
  /** One line for the log when `level` is not `ok`. */
  message?: string
}

/**
 * A snapshot holds the Wasm heap, stable memory, globals, the module and the chunk store
 * (spec `take_canister_snapshot`); custom sections live in the module, history is not copied.
 */
export function estimateSnapshotBytes(metrics: MemoryMetrics): bigint {
  return metrics.wasmMemorySize + metrics.stableMemorySize + metrics.globalMemorySize + metrics.wasmBinarySize + metrics.wasmChunkStoreSize
}

export function snapshotTakeCost(bytes: bigint): bigint {
  return UPDATE_BASE_FEE_CYCLES + (SNAPSHOT_BASELINE_INSTRUCTIONS + bytes) * CYCLES_PER_INSTRUCTION
}

export function storageCyclesPerDay(bytes: bigint): bigint {
  return ceilDiv(bytes * STORAGE_CYCLES_PER_GIB_SECOND * SECONDS_PER_DAY, GIB)
}

export interface CyclesCheckOptions {
  /** The `min-cycles` input: when set, a risky snapshot fails instead of warning. */
  minCycles?: bigint
  warnRunwayDays?: number
}

/**
 * - `fail` (only with `minCycles`): the balance after the snapshot would be below `minCycles` or
 *   below the freezing limit.
 * - `warn`: the snapshot would be refused or freeze the canister, or leave it frozen within
 *   `warnRunwayDays`.
 */
export function assessSnapshotCycles(canisterId: string, status: CyclesStatus, options: CyclesCheckOptions = {}): CyclesAssessment {
  const estimatedSnapshotBytes = estimateSnapshotBytes(status.memoryMetrics)
  const takeCostCycles = snapshotTakeCost(estimatedSnapshotBytes)
  const cyclesAfter = status.cycles - takeCostCycles
  const idleCyclesPerDayAfter = status.idleCyclesBurnedPerDay + storageCyclesPerDay(estimatedSnapshotBytes)
  const freezingLimitAfter = ceilDiv(idleCyclesPerDayAfter * status.freezingThreshold, SECONDS_PER_DAY)
  const runwayDays =
    idleCyclesPerDayAfter === 0n ? undefined : Number(cyclesAfter - freezingLimitAfter) / Number(idleCyclesPerDayAfter)
  const base = { estimatedSnapshotBytes, takeCostCycles, cyclesAfter, freezingLimitAfter, idleCyclesPerDayAfter, runwayDays }

  const cost = `a snapshot of about ${formatBytes(estimatedSnapshotBytes)} costs about ${formatCycles(takeCostCycles)} cycles`
  const balance = `it has ${formatCycles(status.cycles)} cycles`
  const topUp = `Top it up, e.g. \`icp canister top-up ${canisterId} --amount 1T\``
  const wouldFreeze = cyclesAfter < freezingLimitAfter

  if (options.minCycles !== undefined && (cyclesAfter < options.minCycles || wouldFreeze)) {
    const floor = options.minCycles > freezingLimitAfter ? options.minCycles : freezingLimitAfter
    const which = options.minCycles >= freezingLimitAfter ? "'min-cycles'" : 'its freezing limit'
    return {
      ...base,
      level: 'fail',
      message:
        `Canister ${canisterId} would keep ${formatCycles(cyclesAfter < 0n ? 0n : cyclesAfter)} cycles after the snapshot, below ${which} (${formatCycles(floor)}): ` +
        `${cost} and ${balance}. ${topUp}, or lower 'min-cycles'.`
    }
  }
  if (wouldFreeze) {
    return {
      ...base,
      level: 'warn',
      message:
        `Canister ${canisterId} may be frozen or the snapshot refused (IC0532): ${cost}, ${balance} and needs ${formatCycles(freezingLimitAfter)} ` +
        `to stay above its freezing threshold afterwards. ${topUp}.`
    }
  }
  const warnDays = options.warnRunwayDays ?? DEFAULT_WARN_RUNWAY_DAYS
  if (runwayDays !== undefined && runwayDays < warnDays) {
    return {
      ...base,
      level: 'warn',
      message:
        `Canister ${canisterId} would freeze in about ${runwayDays.toFixed(1)} days after this snapshot (${cost}, ${balance}, ` +
        `burning ${formatCycles(idleCyclesPerDayAfter)} per day afterwards). ${topUp}.`
    }
  }
  return { ...base, level: 'ok' }
}

/**
 * The pre-check as the snapshot command runs it, once per canister before anything is stopped:
 * logs a warning, or throws `InsufficientCyclesError` when `min-cycles` makes the risk fatal.
 *
 * A replica that predates `memory_metrics` gives nothing to estimate the snapshot from: the check
 * then warns that it was skipped (also with `min-cycles`, which it cannot enforce) and returns
 * undefined, and the snapshot goes ahead as it would without the check.
 */
export function enforceCyclesCheck(
  canisterId: string,
  status: CyclesStatusReply,
  logger: Pick<Logger, 'warning' | 'debug'>,
  options: CyclesCheckOptions = {}
): CyclesAssessment | undefined {
  const { memoryMetrics } = status
  if (memoryMetrics === undefined) {
    logger.warning(
      `Canister ${canisterId}: the cycles pre-check was skipped because canister_status carries no memory_metrics (an older replica), ` +
        `so the snapshot's size cannot be estimated${options.minCycles === undefined ? '' : "; 'min-cycles' is not enforced"}.`
    )
    return undefined
  }
  const assessment = assessSnapshotCycles(canisterId, { ...status, memoryMetrics }, options)
  if (assessment.level === 'fail') throw new InsufficientCyclesError(canisterId, assessment)
  if (assessment.level === 'warn' && assessment.message !== undefined) logger.warning(assessment.message)
  else {
    logger.debug(
      `${canisterId}: snapshot of about ${assessment.estimatedSnapshotBytes} bytes costs about ${formatCycles(assessment.takeCostCycles)} cycles; ` +
        `${formatCycles(assessment.cyclesAfter)} left, freezing limit ${formatCycles(assessment.freezingLimitAfter)}`
    )
  }
  return assessment
}

export class InsufficientCyclesError extends SnapshotActionError {
  override name = 'InsufficientCyclesError'
  readonly canisterId: string
  readonly assessment: CyclesAssessment
  constructor(canisterId: string, assessment: CyclesAssessment) {
    super(assessment.message ?? `Canister ${canisterId} does not have enough cycles for a snapshot.`)
    this.canisterId = canisterId
    this.assessment = assessment
  }
}

const CYCLE_SUFFIXES: Readonly<Record<string, bigint>> = { '': 1n, k: 10n ** 3n, m: 10n ** 6n, b: 10n ** 9n, t: 10n ** 12n }

/** `''` → undefined; otherwise cycles as an integer or with a suffix like icp's `--amount`: `500b`, `1.5T`. */
export function parseMinCycles(raw: string): bigint | undefined {
  const text = raw.trim().toLowerCase().replace(/_/g, '')
  if (text === '') return undefined
  const match = /^(\d+)(?:\.(\d+))?([kmbt]?)$/.exec(text)
  const multiplier = CYCLE_SUFFIXES[match?.[3] ?? '']
  if (match === null || multiplier === undefined) {
    throw new InputError('min-cycles', 'a number of cycles such as 2000000000000, 500b or 1.5T (suffixes k, m, b, t)', raw)
  }
  const fraction = match[2] ?? ''
  const scale = 10n ** BigInt(fraction.length)
  const value = (BigInt(match[1] ?? '0') * scale + BigInt(fraction === '' ? '0' : fraction)) * multiplier
  if (value % scale !== 0n) throw new InputError('min-cycles', 'a whole number of cycles', raw)
  return value / scale
}

/** Cycles in icp's style: `1.23T`, `450.00B`, `12.00M`, or the plain number below a million. */
export function formatCycles(cycles: bigint): string {
  const units: [bigint, string][] = [
    [10n ** 12n, 'T'],
    [10n ** 9n, 'B'],
    [10n ** 6n, 'M']
  ]
  for (const [size, unit] of units) {
    if (cycles >= size) return `${(Number((cycles * 100n) / size) / 100).toFixed(2)}${unit}`
  }
  return cycles.toString()
}

function formatBytes(bytes: bigint): string {
  const units: [bigint, string][] = [
    [GIB, 'GiB'],
    [1n << 20n, 'MiB'],
    [1n << 10n, 'KiB']
  ]
  for (const [size, unit] of units) {
    if (bytes >= size) return `${(Number((bytes * 100n) / size) / 100).toFixed(2)} ${unit}`
  }
  return `${bytes} bytes`
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b
}
