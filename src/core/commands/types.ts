/**
 * Requests and results shared by every command. Requests are what `parseInputs` (action) and the
 * CLI produce; results are what the glue turns into outputs, the job summary and CLI output.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { Deadline } from '../deadline.js'
import type { OperationName } from '../operations/registry.js'
import type { ManagementClient, SnapshotInfo } from '../ic/management.js'
import type { Logger } from '../logger.js'
import type { SnapshotId } from '../snapshot-id.js'
import type { StateStore } from '../state.js'

/** Every registered operation's name: a new operation's rows need no edit here. */
export type Operation = OperationName

/** `latest` resolves per canister; explicit IDs are matched to canisters by the owner in the ID. */
export type SnapshotSelector = { kind: 'latest' } | { kind: 'ids'; ids: SnapshotId[] }

export interface CommandContext {
  client: ManagementClient
  logger: Logger
  state: StateStore
  deadline: Deadline
  /** How many canisters are contacted at once. */
  concurrency: number
}

export interface SnapshotRequest {
  operation: 'snapshot'
  canisters: Principal[]
  /** Snapshots to replace, matched to canisters by owner. */
  replace: SnapshotId[]
  stop: boolean
  stopTimeoutSeconds: number
  dryRun: boolean
  /**
   * Chooses a snapshot to replace when none was given explicitly (retention hooks in here);
   * `existing` is oldest first.
   */
  chooseReplace?: (canisterId: string, existing: SnapshotInfo[]) => SnapshotId | undefined
  /** `min-cycles`: fail before stopping when a snapshot would leave less; otherwise only warn. */
  minCycles?: bigint
  /** `false`: an independent stop → snapshot → start per canister instead of one cut. Default true. */
  consistent?: boolean
  /** The operation a refusal names when this snapshot is a step of another (`download` of a new one). */
  purpose?: string
}

export interface RollbackRequest {
  operation: 'rollback'
  canisters: Principal[]
  snapshot: SnapshotSelector
  safetySnapshot: boolean
  stopTimeoutSeconds: number
  dryRun: boolean
}

export interface ListRequest {
  operation: 'list'
  canisters: Principal[]
}

export interface DeleteRequest {
  operation: 'delete'
  canisters: Principal[]
  snapshot: SnapshotSelector
  dryRun: boolean
}

export type CommandRequest = SnapshotRequest | RollbackRequest | ListRequest | DeleteRequest

export type Outcome = 'ok' | 'failed' | 'skipped' | 'dry-run'

export interface CanisterResult {
  canisterId: string
  /** The project name the canister was given by, when it was given by name. */
  name?: string
  operation: Operation
  outcome: Outcome
  snapshotId?: SnapshotId
  /** ISO 8601. */
  takenAt?: string
  totalSize?: bigint
  moduleHash?: string
  /** Time between the stop call and the end of the start call; 0 when not stopped. */
  downtimeMs?: number
  /** Rollback: the snapshot taken of the state that was replaced. */
  safetySnapshotId?: SnapshotId
  /** List: every snapshot, oldest first. */
  snapshots?: SnapshotInfo[]
  /** Dry-run and skips: what would happen, or why nothing did. */
  note?: string
  error?: string
  /** Typed error name, e.g. `NotAControllerError`. */
  errorName?: string
}

export interface CommandResult {
  operation: Operation
  principal: string
  dryRun: boolean
  results: CanisterResult[]
}

export function nsToIso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString()
}
