/**
 * `operation: prune`: applies the retention policy alone (no new snapshot) to every canister, and
 * the deletion half of rotation after a snapshot (`pruneCanister` with `justTakenId`). A dry run
 * lists exactly the snapshots that would be deleted and changes nothing.
 */
import pLimit from 'p-limit'
import { Principal } from '@icp-sdk/core/principal'
import { SnapshotActionError, SnapshotNotFoundError, getErrorMessage } from '../errors.js'
import type { ManagementClient, SnapshotInfo } from '../ic/management.js'
import type { Logger } from '../logger.js'
import { planDeletions, type PlannedDeletion, type RetentionPolicy } from '../retention/policy.js'
import { controlAttemptBudgetMs } from '../control-retry.js'
import type { Deadline } from '../deadline.js'
import { preflightStatusAndSnapshots } from '../phases/lifecycle.js'
import { preflightAll } from '../phases/preflight.js'
import { withRetry, type RetryContext, type RetryPolicy } from '../retry.js'
import type { CanisterResult, CommandContext } from './types.js'

export const DEFAULT_CONCURRENCY = 8

export type PruneClient = Pick<ManagementClient, 'listSnapshots' | 'deleteSnapshot'>

export interface PruneTarget {
  canisterId: string
  principal: Principal
  name?: string
}

export interface CanisterPruneResult {
  canisterId: string
  name?: string
  /** Deleted snapshots (in a dry run: those that would be deleted), oldest first. */
  deleted: PlannedDeletion<SnapshotInfo>[]
  /** Snapshots left afterwards (in a dry run: those that would be left), oldest first. */
  kept: SnapshotInfo[]
  error?: SnapshotActionError
}

export interface PruneResult {
  dryRun: boolean
  canisters: CanisterPruneResult[]
  failed: CanisterPruneResult[]
}

export interface PruneCanisterOptions {
  client: PruneClient
  logger: Logger
  canister: PruneTarget
  policy: RetentionPolicy
  dryRun: boolean
  /** Reference time for `max-age`; after a snapshot, pass its `takenAtNs` (the IC's clock). */
  nowNs: bigint
  /** The snapshot this run just took: never deleted, and counted towards `keep`. */
  justTakenId?: string
  /** Backoff for transient failures; both calls are safe to repeat. */
  retry?: RetryPolicy
  /** Ends the canister's pruning with `OperationTimeoutError` once used up. */
  signal?: AbortSignal
}

/** Lists the canister's snapshots and deletes what the policy rotates out. Never throws. */
export async function pruneCanister(options: PruneCanisterOptions): Promise<CanisterPruneResult> {
  const { client, logger, canister, policy, dryRun } = options
  const label = describe(canister)
  const result: CanisterPruneResult = { canisterId: canister.canisterId, name: canister.name, deleted: [], kept: [] }
  // Both calls are safe to repeat, so one that never answers is abandoned and sent again.
  const retryContext = (method: string): RetryContext => ({
    canisterId: canister.canisterId,
    method,
    idempotent: true,
    attemptTimeoutMs: controlAttemptBudgetMs,
    ...(options.retry === undefined ? {} : { policy: options.retry }),
    ...(options.signal === undefined ? {} : { signal: options.signal })
  })
  let snapshots: SnapshotInfo[]
  try {
    snapshots = await withRetry(() => client.listSnapshots(canister.principal), retryContext('list_canister_snapshots'))
  } catch (error: unknown) {
    return { ...result, error: asActionError(error, `list the snapshots of ${label}`) }
  }
  const plan = planDeletions(snapshots, policy, { nowNs: options.nowNs, justTakenId: options.justTakenId })
  const planned = new Set(plan.map((d) => d.snapshot.id))
  result.kept = snapshots.filter((s) => !planned.has(s.id))
  if (plan.length === 0) {
    logger.info(`${label}: nothing to prune (${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'} kept)`)
    return result
  }
  for (const deletion of plan) {
    const why = reasonText(deletion, policy)
    if (dryRun) {
      logger.info(`${label}: would delete snapshot ${deletion.snapshot.id} (${why})`)
      result.deleted.push(deletion)
      continue
    }
    try {
      // Repeating a delete whose response was lost ends in "not found", handled below as done.
      await withRetry(() => client.deleteSnapshot({ canisterId: canister.principal, snapshotId: deletion.snapshot.id }), retryContext('delete_canister_snapshot'))
      logger.info(`${label}: deleted snapshot ${deletion.snapshot.id} (${why})`)
    } catch (error: unknown) {
      // Another run may have rotated it out meanwhile; the goal (it is gone) is met.
      if (!(error instanceof SnapshotNotFoundError)) {
        result.kept = snapshots.filter((s) => !result.deleted.some((d) => d.snapshot.id === s.id))
        return { ...result, error: asActionError(error, `delete snapshot ${deletion.snapshot.id} of ${label}`) }
      }
      logger.debug(`${label}: snapshot ${deletion.snapshot.id} was already gone`)
    }
    result.deleted.push(deletion)
  }
  return result
}

export interface PruneOptions {
  client: PruneClient
  logger: Logger
  canisters: readonly PruneTarget[]
  policy: RetentionPolicy
  dryRun: boolean
  concurrency?: number
  /** Reference time for `max-age`; defaults to this machine's clock. */
  nowNs?: bigint
  retry?: RetryPolicy
  /** The step's budget; without one, only the per-attempt budgets bound a call that never answers. */
  deadline?: Deadline
}

/** Prunes every canister (bounded concurrency); one canister failing does not stop the others. */
export async function runPrune(options: PruneOptions): Promise<PruneResult> {
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY)
  const nowNs = options.nowNs ?? BigInt(Date.now()) * 1_000_000n
  const signal = options.deadline?.signal('Pruning')
  const canisters = await limit.map(options.canisters, (canister) =>
    pruneCanister({
      client: options.client,
      logger: options.logger,
      canister,
      policy: options.policy,
      dryRun: options.dryRun,
      nowNs,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(signal === undefined ? {} : { signal })
    })
  )
  return { dryRun: options.dryRun, canisters, failed: canisters.filter((c) => c.error !== undefined) }
}

export interface PruneAfterSnapshotOptions {
  client: PruneClient
  logger: Logger
  policy: RetentionPolicy
  /** `runSnapshot`'s per-canister results; only canisters with a new snapshot are pruned. */
  results: readonly CanisterResult[]
  concurrency?: number
  /** Canister names for the log, by canister ID. */
  names?: ReadonlyMap<string, string>
  /** The step's budget, as for `runPrune`: a canister still pruning when it ends fails with a timeout. */
  deadline?: Deadline
}

/**
 * The second half of rotation, run once every canister is running again (deleting needs no stop):
 * deletes what the policy rotates out, never the snapshot just taken. `max-age` is measured from
 * that snapshot's `taken_at`, so the runner's clock does not matter.
 */
export async function pruneAfterSnapshot(options: PruneAfterSnapshotOptions): Promise<PruneResult> {
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY)
  const taken = options.results.filter(
    (r): r is CanisterResult & { snapshotId: string; takenAt: string } => r.outcome === 'ok' && r.snapshotId !== undefined && r.takenAt !== undefined
  )
  const signal = options.deadline?.signal('Applying retention')
  const canisters = await limit.map(taken, (r) => {
    const name = options.names?.get(r.canisterId)
    return pruneCanister({
      client: options.client,
      logger: options.logger,
      canister: { canisterId: r.canisterId, principal: Principal.fromText(r.canisterId), ...(name === undefined ? {} : { name }) },
      policy: options.policy,
      dryRun: false,
      nowNs: BigInt(Date.parse(r.takenAt)) * 1_000_000n,
      justTakenId: r.snapshotId,
      ...(signal === undefined ? {} : { signal })
    })
  })
  return { dryRun: false, canisters, failed: canisters.filter((c) => c.error !== undefined) }
}

export interface PruneRequest {
  operation: 'prune'
  canisters: Principal[]
  policy: RetentionPolicy
  dryRun: boolean
}

export type PruneCanisterRow = Omit<CanisterResult, 'operation'> & { operation: 'prune' }

export interface PruneCommandResult {
  operation: 'prune'
  principal: string
  dryRun: boolean
  results: PruneCanisterRow[]
}

/** `operation: prune` in the shape of the other commands' results. */
export async function runPruneCommand(ctx: Pick<CommandContext, 'client' | 'logger' | 'concurrency' | 'deadline'>, req: PruneRequest): Promise<PruneCommandResult> {
  const base = { operation: 'prune' as const, principal: ctx.client.principal, dryRun: req.dryRun }
  // Deleting needs a controller of every canister, checked before the first delete (a dry run too:
  // it answers "would this work"), so a backup key with viewer rights fails with nothing deleted.
  const checked = await ctx.logger.group('Check canisters', () =>
    preflightAll(req.canisters, 'prune', ctx, (canisterId) => preflightStatusAndSnapshots(ctx.client, canisterId, 'prune'))
  )
  if (!checked.ok) return { ...base, results: checked.results }
  const result = await ctx.logger.group(`${req.dryRun ? 'Plan pruning of' : 'Prune'} ${req.canisters.length} canister(s)`, () =>
    runPrune({
      client: ctx.client,
      logger: ctx.logger,
      canisters: req.canisters.map((principal) => ({ canisterId: principal.toText(), principal })),
      policy: req.policy,
      dryRun: req.dryRun,
      concurrency: ctx.concurrency,
      deadline: ctx.deadline
    })
  )
  return { ...base, results: toCanisterResults(result) }
}

/**
 * One row per canister in the shape of the other commands' results (outputs, job summary, CLI
 * JSON); assignable to `CanisterResult` once its `Operation` includes `'prune'`.
 */
export function toCanisterResults(result: PruneResult): PruneCanisterRow[] {
  return result.canisters.map((c) => {
    const ids = c.deleted.map((d) => d.snapshot.id)
    const verb = result.dryRun ? 'would delete' : 'deleted'
    const note = `${ids.length === 0 ? 'nothing to delete' : `${verb} ${ids.join(', ')}`}; ${c.kept.length} kept`
    return {
      canisterId: c.canisterId,
      operation: 'prune' as const,
      outcome: c.error !== undefined ? ('failed' as const) : result.dryRun ? ('dry-run' as const) : ('ok' as const),
      snapshots: c.kept,
      note,
      ...(c.error === undefined ? {} : { error: c.error.message, errorName: c.error.name })
    }
  })
}

/** The step's error when any canister failed; undefined when all succeeded. */
export function pruneFailure(result: PruneResult): PruneFailedError | undefined {
  return result.failed.length === 0 ? undefined : new PruneFailedError(result)
}

export class PruneFailedError extends SnapshotActionError {
  override name = 'PruneFailedError'
  readonly failed: CanisterPruneResult[]
  constructor(result: PruneResult) {
    const details = result.failed.map((c) => `${describe(c)}: ${c.error?.message ?? 'failed'}`).join('; ')
    super(`Prune failed for ${result.failed.length} of ${result.canisters.length} canisters: ${details}`)
    this.failed = result.failed
  }
}

function reasonText(deletion: PlannedDeletion<SnapshotInfo>, policy: RetentionPolicy): string {
  return deletion.reason === 'beyond-keep' ? `beyond keep ${policy.keep ?? ''}`.trim() : 'older than max-age'
}

function describe(canister: { canisterId: string; name?: string }): string {
  return canister.name === undefined ? canister.canisterId : `${canister.name} (${canister.canisterId})`
}

function asActionError(error: unknown, what: string): SnapshotActionError {
  if (error instanceof SnapshotActionError) return error
  return new SnapshotActionError(`Could not ${what}: ${getErrorMessage(error)}`, { cause: error })
}
