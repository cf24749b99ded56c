/**
 * list: every snapshot of every canister, oldest first. Read-only.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-list_canister_snapshots
 */
import pLimit from 'p-limit'
import { withTimeout } from '../deadline.js'
import { failedRow, OperationTimeoutError } from '../errors.js'
import { retrying } from '../control-retry.js'
import type { CanisterResult, CommandContext, CommandResult, ListRequest } from './types.js'

export async function runList(ctx: CommandContext, req: ListRequest): Promise<CommandResult> {
  const { client, logger } = ctx
  const limit = pLimit(Math.max(1, ctx.concurrency))
  const results = await logger.group('List snapshots', () =>
    Promise.all(
      req.canisters.map((canisterId) =>
        limit(async (): Promise<CanisterResult> => {
          const id = canisterId.toText()
          try {
            const snapshots = await withTimeout(retrying(() => client.listSnapshots(canisterId), id, 'list_canister_snapshots'), ctx.deadline.remainingMs(), () => new OperationTimeoutError(`Listing the snapshots of ${id}`, ctx.deadline.seconds))
            logger.info(`${id}: ${snapshots.length} snapshot(s).`)
            const newest = snapshots.at(-1)
            return {
              canisterId: id,
              operation: 'list',
              outcome: 'ok',
              snapshots,
              totalSize: snapshots.reduce((sum, s) => sum + s.totalSize, 0n),
              ...(newest === undefined ? {} : { snapshotId: newest.id })
            }
          } catch (error: unknown) {
            return failedRow({ canisterId: id, operation: 'list' as const }, error)
          }
        })
      )
    )
  )
  return { operation: 'list', principal: client.principal, dryRun: false, results }
}
