/**
 * rollback: check rights and the target snapshot for every canister → stop → optional safety
 * snapshot of the current state → load → start → confirm `running` and report the module hash.
 * A rolled-back canister is started even if it was stopped before: a rollback restores service.
 * If the load did not happen, a canister is left as it was found.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-load_canister_snapshot
 */
import type { Principal } from '@icp-sdk/core/principal'
import { failedRow, SnapshotActionError } from '../errors.js'
import type { SnapshotInfo } from '../ic/management.js'
import { preflightStatusAndSnapshots } from '../phases/lifecycle.js'
import { loadAll } from '../phases/load.js'
import { preflightAll } from '../phases/preflight.js'
import { pickSnapshot, resolveSelector } from '../phases/select.js'
import { MAX_SNAPSHOTS } from './snapshot.js'
import { nsToIso, type CanisterResult, type CommandContext, type CommandResult, type RollbackRequest } from './types.js'

interface Plan {
  canisterId: Principal
  running: boolean
  existing: SnapshotInfo[]
  target: SnapshotInfo
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
  const loaded = await loadAll(
    ctx,
    plans.map((p) => ({ canisterId: p.canisterId, running: p.running, existing: p.existing, snapshotId: p.target.id, safetySnapshot: req.safetySnapshot })),
    { concurrency: ctx.concurrency, phase: `Load ${plans.length} snapshot(s)`, stopTimeoutSeconds: req.stopTimeoutSeconds }
  )
  const results = loaded.map((o): CanisterResult => {
    const plan = byId.get(o.canisterId) as Plan
    const common = {
      canisterId: o.canisterId,
      operation: 'rollback' as const,
      snapshotId: plan.target.id,
      downtimeMs: o.downtimeMs,
      ...(o.safetySnapshotId === undefined ? {} : { safetySnapshotId: o.safetySnapshotId })
    }
    if (o.error !== undefined) return failedRow(common, o.error)
    return {
      ...common,
      outcome: 'ok',
      takenAt: nsToIso(plan.target.takenAtNs),
      totalSize: plan.target.totalSize,
      ...(o.moduleHash === undefined ? {} : { moduleHash: o.moduleHash })
    }
  })
  return { ...base, results }
}
