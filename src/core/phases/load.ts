/**
 * Loading a snapshot onto one canister with the rollback's guarantees: stop → optional safety
 * snapshot of the state about to be replaced → load → start → confirm `running` and read the module
 * hash. The stop goes through the restart ledger, so a run killed in between leaves the canister
 * to the post step (or the CLI's interrupt handler) to start again. A canister that was stopped
 * before is started too: loading a snapshot onto it is meant to put it in service.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-load_canister_snapshot
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { CommandContext } from '../commands/types.js'
import { retrying } from '../control-retry.js'
import { getErrorMessage, SnapshotActionError } from '../errors.js'
import type { SnapshotInfo } from '../ic/management.js'
import type { SnapshotId } from '../snapshot-id.js'
import { consistentCut } from './cut.js'
import { Lifecycle, preflightStatus } from './lifecycle.js'
import { takeSnapshotOnce } from './take.js'

export interface LoadPlan {
  canisterId: Principal
  running: boolean
  /** The canister's snapshots before this run (a lost take response is reconciled against them). */
  existing: SnapshotInfo[]
  /** A snapshot of this canister or, on the same subnet, of another one the caller controls. */
  snapshotId: SnapshotId
  safetySnapshot: boolean
  stopTimeoutSeconds: number
  /** The module hash the canister must report after the load, when it is known. */
  expectedModuleHash?: string
}

export interface LoadOutcome {
  downtimeMs: number
  safetySnapshotId?: SnapshotId
  moduleHash?: string
  /** Set when anything failed; the canister was started again if this run had stopped it. */
  error?: SnapshotActionError
}

export async function loadSafely(ctx: CommandContext, plan: LoadPlan): Promise<LoadOutcome> {
  const { client, logger } = ctx
  const id = plan.canisterId.toText()
  const [cut] = await consistentCut([{ canisterId: plan.canisterId, stop: plan.running, startAfterSuccess: true }], {
    lifecycle: new Lifecycle(client, logger, ctx.state),
    logger,
    deadline: ctx.deadline,
    concurrency: 1,
    stopTimeoutSeconds: plan.stopTimeoutSeconds,
    workPhase: `Load ${plan.snapshotId} onto ${id}`,
    work: async (canisterId) => {
      let safety: SnapshotInfo | undefined
      if (plan.safetySnapshot) {
        safety = await takeSnapshotOnce(client, logger, canisterId, undefined, plan.existing)
        logger.info(`Safety snapshot of ${id}: ${safety.id}.`)
      }
      // Loading the same snapshot twice leaves the same state, so a lost response is simply retried.
      await retrying(() => client.loadSnapshot({ canisterId, snapshotId: plan.snapshotId }), id, 'load_canister_snapshot')
      logger.info(`Loaded ${plan.snapshotId} onto ${id}.`)
      return { safety }
    }
  })
  const outcome = cut as NonNullable<typeof cut>
  const safety = outcome.value?.safety === undefined ? {} : { safetySnapshotId: outcome.value.safety.id }
  if (outcome.error !== undefined) return { downtimeMs: outcome.downtimeMs, ...safety, error: outcome.error }
  const failed = (message: string): LoadOutcome => ({ downtimeMs: outcome.downtimeMs, ...safety, error: new SnapshotActionError(message) })
  let status
  try {
    status = await preflightStatus(client, plan.canisterId)
  } catch (error: unknown) {
    return failed(`Loaded ${plan.snapshotId} onto ${id}, but the status check failed: ${getErrorMessage(error)}`)
  }
  if (status.status !== 'running') return failed(`Canister ${id} is ${status.status} after the load; start it with \`icp canister start ${id}\`.`)
  if (plan.expectedModuleHash !== undefined && status.moduleHash !== plan.expectedModuleHash) {
    return failed(`Canister ${id} runs module ${status.moduleHash ?? '(none)'} after the load, not the snapshot's ${plan.expectedModuleHash}; check it before relying on it.`)
  }
  logger.info(`${id} is running with module ${status.moduleHash ?? '(none)'}.`)
  return { downtimeMs: outcome.downtimeMs, ...safety, ...(status.moduleHash === undefined ? {} : { moduleHash: status.moduleHash }) }
}
