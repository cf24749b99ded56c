/**
 * rollback: check rights and the target snapshot for every canister → stop → optional safety
 * snapshot of the current state → load → start → confirm `running` and report the module hash.
 * A rolled-back canister is started even if it was stopped before: a rollback restores service.
 * If the load did not happen, a canister is left as it was found.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-load_canister_snapshot
 */
import type { Principal } from '@icp-sdk/core/principal'
import { consistentCut } from '../phases/cut.js'
import { failedRow, getErrorMessage, SnapshotActionError } from '../errors.js'
import type { CanisterStatus, SnapshotInfo } from '../ic/management.js'
import { Lifecycle, preflightStatus, preflightStatusAndSnapshots } from '../phases/lifecycle.js'
import { preflightAll } from '../phases/preflight.js'
import { pickSnapshot, resolveSelector } from '../phases/select.js'
import { takeSnapshotOnce } from '../phases/take.js'
import { retrying } from '../control-retry.js'
import { MAX_SNAPSHOTS } from './snapshot.js'
import { nsToIso, type CanisterResult, type CommandContext, type CommandResult, type RollbackRequest } from './types.js'

interface Plan {
  canisterId: Principal
  running: boolean
  existing: SnapshotInfo[]
  target: SnapshotInfo
}

interface Done {
  safety: SnapshotInfo | undefined
}

export async function runRollback(ctx: CommandContext, req: RollbackRequest): Promise<CommandResult> {
  const { client, logger } = ctx
  const selector = resolveSelector(req.snapshot, req.canisters, 'snapshot-id')
  const base = { operation: 'rollback' as const, principal: client.principal, dryRun: req.dryRun }

  const checked = await logger.group('Check canisters', () =>
    preflightAll(req.canisters, 'rollback', ctx, async (canisterId): Promise<Plan> => {
      const id = canisterId.toText()
      const { status, existing } = await preflightStatusAndSnapshots(client, canisterId, 'rollback')
      const target = pickSnapshot(id, existing, selector, 'snapshot-id')
      if (req.safetySnapshot && existing.length >= MAX_SNAPSHOTS) {
        throw new SnapshotActionError(
          `Canister ${id} already has ${MAX_SNAPSHOTS} snapshots, so no safety snapshot can be taken. Delete one ('operation: delete') or set 'safety-snapshot: false'.`
        )
      }
      logger.info(`${id}: ${status.status}; rolling back to ${target.id} taken at ${nsToIso(target.takenAtNs)}.`)
      return { canisterId, running: status.status !== 'stopped', existing, target }
    })
  )
  if (!checked.ok) return { ...base, results: checked.results }
  const plans = checked.plans

  if (req.dryRun) {
    return {
      ...base,
      results: plans.map((p) => ({
        canisterId: p.canisterId.toText(),
        operation: 'rollback',
        outcome: 'dry-run',
        snapshotId: p.target.id,
        takenAt: nsToIso(p.target.takenAtNs),
        totalSize: p.target.totalSize,
        note: `would ${p.running ? 'stop, ' : ''}${req.safetySnapshot ? 'take a safety snapshot, ' : ''}load ${p.target.id}, start`
      }))
    }
  }

  const byId = new Map(plans.map((p) => [p.canisterId.toText(), p]))
  const lifecycle = new Lifecycle(client, logger, ctx.state)
  const outcomes = await consistentCut(
    plans.map((p) => ({ canisterId: p.canisterId, stop: p.running, startAfterSuccess: true })),
    {
      lifecycle,
      logger,
      deadline: ctx.deadline,
      concurrency: ctx.concurrency,
      stopTimeoutSeconds: req.stopTimeoutSeconds,
      workPhase: `Load ${plans.length} snapshot(s)`,
      work: async (canisterId): Promise<Done> => {
        const id = canisterId.toText()
        const plan = byId.get(id) as Plan
        let safety: SnapshotInfo | undefined
        if (req.safetySnapshot) {
          safety = await takeSnapshotOnce(client, logger, canisterId, undefined, plan.existing)
          logger.info(`Safety snapshot of ${id}: ${safety.id}.`)
        }
        // Loading the same snapshot twice leaves the same state, so a lost response is simply retried.
        await retrying(() => client.loadSnapshot({ canisterId, snapshotId: plan.target.id }), id, 'load_canister_snapshot')
        logger.info(`Loaded ${plan.target.id} into ${id}.`)
        return { safety }
      }
    }
  )

  const results = await logger.group('Confirm', () =>
    Promise.all(outcomes.map(async (o): Promise<CanisterResult> => {
      const plan = byId.get(o.canisterId) as Plan
      const common = { canisterId: o.canisterId, operation: 'rollback' as const, snapshotId: plan.target.id, downtimeMs: o.downtimeMs }
      if (o.error !== undefined) return failedRow(common, o.error)
      const done = o.value as Done
      const safety = done.safety === undefined ? {} : { safetySnapshotId: done.safety.id }
      let status: CanisterStatus
      try {
        status = await preflightStatus(client, plan.canisterId)
      } catch (error: unknown) {
        return failedRow({ ...common, ...safety }, error, `Rolled back, but the status check failed: ${getErrorMessage(error)}`)
      }
      if (status.status !== 'running') {
        return failedRow({ ...common, ...safety }, new SnapshotActionError(`Canister ${o.canisterId} is ${status.status} after the rollback; start it with \`icp canister start ${o.canisterId}\`.`))
      }
      logger.info(`${o.canisterId} is running with module ${status.moduleHash ?? '(none)'}.`)
      return {
        ...common,
        ...safety,
        outcome: 'ok',
        takenAt: nsToIso(plan.target.takenAtNs),
        totalSize: plan.target.totalSize,
        ...(status.moduleHash === undefined ? {} : { moduleHash: status.moduleHash })
      }
    }))
  )
  return { ...base, results }
}
