/**
 * Loading a snapshot onto canisters with the rollback's guarantees: stop → optional safety
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
import { asActionError, SnapshotActionError } from '../errors.js'
import type { SnapshotInfo } from '../ic/management.js'
import type { SnapshotId } from '../snapshot-id.js'
import { consistentCut, type CutOutcome } from './cut.js'
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
  canisterId: string
  downtimeMs: number
  safetySnapshotId?: SnapshotId
  moduleHash?: string
  /** Set when anything failed; the canister was started again if this run had stopped it. */
  error?: SnapshotActionError
}

/**
 * Loads every plan's snapshot in one cut (all stopped, all loaded, all started: one downtime for a
 * fleet, as rollback promises), then confirms each canister runs the expected module.
 */
export async function loadAll(
  ctx: CommandContext,
  plans: Omit<LoadPlan, 'stopTimeoutSeconds'>[],
  options: { concurrency: number; phase: string; stopTimeoutSeconds: number }
): Promise<LoadOutcome[]> {
  const { client, logger } = ctx
  const byId = new Map(plans.map((p) => [p.canisterId.toText(), p]))
  const cut = await consistentCut(
    plans.map((p) => ({ canisterId: p.canisterId, stop: p.running, startAfterSuccess: true })),
    {
      lifecycle: new Lifecycle(client, logger, ctx.state),
      logger,
      deadline: ctx.deadline,
      concurrency: options.concurrency,
      stopTimeoutSeconds: options.stopTimeoutSeconds,
      workPhase: options.phase,
      work: async (canisterId) => {
        const id = canisterId.toText()
        const plan = byId.get(id) as Omit<LoadPlan, 'stopTimeoutSeconds'>
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
    }
  )
  return logger.group('Confirm', () => Promise.all(cut.map((outcome) => confirm(ctx, byId.get(outcome.canisterId) as Omit<LoadPlan, 'stopTimeoutSeconds'>, outcome))))
}

/** One plan: `loadAll` for a single canister. */
export async function loadSafely(ctx: CommandContext, plan: LoadPlan): Promise<LoadOutcome> {
  const [outcome] = await loadAll(ctx, [plan], { concurrency: 1, phase: `Load ${plan.snapshotId} onto ${plan.canisterId.toText()}`, stopTimeoutSeconds: plan.stopTimeoutSeconds })
  return outcome as LoadOutcome
}

async function confirm(ctx: CommandContext, plan: Omit<LoadPlan, 'stopTimeoutSeconds'>, cut: CutOutcome<{ safety: SnapshotInfo | undefined }>): Promise<LoadOutcome> {
  const id = cut.canisterId
  const safety = cut.value?.safety === undefined ? {} : { safetySnapshotId: cut.value.safety.id }
  const base = { canisterId: id, downtimeMs: cut.downtimeMs, ...safety }
  if (cut.error !== undefined) return { ...base, error: cut.error }
  let status
  try {
    status = await preflightStatus(ctx.client, plan.canisterId)
  } catch (error: unknown) {
    // Keeps the error's class (an outage is not a refusal) with the step's context in front.
    const e = asActionError(error)
    e.message = `Loaded ${plan.snapshotId} onto ${id}, but the status check failed: ${e.message}`
    return { ...base, error: e }
  }
  const failed = (message: string): LoadOutcome => ({ ...base, error: new SnapshotActionError(message) })
  if (status.status !== 'running') return failed(`Canister ${id} is ${status.status} after the load; start it with \`icp canister start ${id}\`.`)
  if (plan.expectedModuleHash !== undefined && status.moduleHash !== plan.expectedModuleHash) {
    return failed(`Canister ${id} runs module ${status.moduleHash ?? '(none)'} after the load, not the snapshot's ${plan.expectedModuleHash}; check it before relying on it.`)
  }
  ctx.logger.info(`${id} is running with module ${status.moduleHash ?? '(none)'}.`)
  return { ...base, ...(status.moduleHash === undefined ? {} : { moduleHash: status.moduleHash }) }
}
