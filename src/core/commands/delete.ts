/**
 * delete: resolve the snapshot (an ID, or `latest`) on every canister first, then delete. A delete
 * whose response was lost is reconciled by listing: if the snapshot is gone, it was deleted.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-delete_canister_snapshot
 */
import type { Principal } from '@icp-sdk/core/principal'
import pLimit from 'p-limit'
import { withTimeout, type Deadline } from '../deadline.js'
import { failedRow, OutcomeUnknownError, RetryableError, SnapshotNotFoundError } from '../errors.js'
import type { ManagementClient, SnapshotInfo } from '../ic/management.js'
import { preflightStatusAndSnapshots } from '../phases/lifecycle.js'
import type { Logger } from '../logger.js'
import { preflightAll } from '../phases/preflight.js'
import { pickSnapshot, resolveSelector } from '../phases/select.js'
import type { SnapshotId } from '../snapshot-id.js'
import { controlAttemptBudgetMs, retrying } from '../control-retry.js'
import { nsToIso, type CanisterResult, type CommandContext, type CommandResult, type DeleteRequest } from './types.js'

const DELETE_ATTEMPTS = 4

export async function runDelete(ctx: CommandContext, req: DeleteRequest): Promise<CommandResult> {
  const { client, logger } = ctx
  const selector = resolveSelector(req.snapshot, req.canisters, 'snapshot-id')
  const base = { operation: 'delete' as const, principal: client.principal, dryRun: req.dryRun }

  const checked = await logger.group('Check canisters', () =>
    preflightAll(req.canisters, 'delete', ctx, async (canisterId) => {
      const id = canisterId.toText()
      const { existing } = await preflightStatusAndSnapshots(client, canisterId, 'delete')
      return { canisterId, target: pickSnapshot(id, existing, selector, 'snapshot-id') }
    })
  )
  if (!checked.ok) return { ...base, results: checked.results }

  const describe = (canisterId: Principal, target: SnapshotInfo) => ({
    canisterId: canisterId.toText(),
    operation: 'delete' as const,
    snapshotId: target.id,
    takenAt: nsToIso(target.takenAtNs),
    totalSize: target.totalSize
  })
  if (req.dryRun) {
    return { ...base, results: checked.plans.map((p): CanisterResult => ({ ...describe(p.canisterId, p.target), outcome: 'dry-run', note: `would delete ${p.target.id}` })) }
  }

  const limit = pLimit(Math.max(1, ctx.concurrency))
  const results = await logger.group('Delete snapshots', () =>
    Promise.all(
      checked.plans.map((p) =>
        limit(async (): Promise<CanisterResult> => {
          try {
            // A request that never answers must not hold the step past its budget.
            await ctx.deadline.bound(deleteOnce(client, logger, ctx.deadline, p.canisterId, p.target.id), `Deleting snapshot ${p.target.id} of ${p.canisterId.toText()}`)
            logger.info(`Deleted snapshot ${p.target.id} of ${p.canisterId.toText()}.`)
            return { ...describe(p.canisterId, p.target), outcome: 'ok' }
          } catch (error: unknown) {
            return failedRow(describe(p.canisterId, p.target), error)
          }
        })
      )
    )
  )
  return { ...base, results }
}

async function deleteOnce(client: ManagementClient, logger: Logger, deadline: Deadline, canisterId: Principal, snapshotId: SnapshotId): Promise<void> {
  const id = canisterId.toText()
  for (let attempt = 1; ; attempt++) {
    // Once the step has given up (and said so), no further delete may be sent behind its back.
    deadline.check(`Deleting snapshot ${snapshotId} of ${id}`)
    try {
      const budgetMs = controlAttemptBudgetMs(attempt)
      await withTimeout(
        client.deleteSnapshot({ canisterId, snapshotId }),
        budgetMs,
        () => new OutcomeUnknownError(`delete_canister_snapshot for ${id} got no answer within ${budgetMs} ms; it may still execute.`)
      )
      return
    } catch (error: unknown) {
      // After a lost response, "not found" on the next attempt means the first one worked.
      if (attempt > 1 && error instanceof SnapshotNotFoundError) return
      if (!(error instanceof RetryableError) || attempt >= DELETE_ATTEMPTS) throw error
      logger.warning(`Deleting ${snapshotId} of ${id} failed (${error.message}); checking whether it is gone.`)
      const now = await retrying(() => client.listSnapshots(canisterId), id, 'list_canister_snapshots')
      if (!now.some((s) => s.id === snapshotId)) return
    }
  }
}
