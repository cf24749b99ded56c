/**
 * snapshot: status (controller rights, limit, replace target) for every canister → stop the running
 * ones → take all snapshots concurrently → start what was stopped, whatever failed in between.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-take_canister_snapshot
 */
import type { Principal } from '@icp-sdk/core/principal'
import pLimit from 'p-limit'
import { consistentCut } from '../phases/cut.js'
import { enforceCyclesCheck } from '../cycles-check.js'
import { EmptyCanisterError, failedRow, SnapshotLimitError, SnapshotNotFoundError } from '../errors.js'
import type { SnapshotInfo } from '../ic/management.js'
import { Lifecycle, preflightStatusAndSnapshots } from '../phases/lifecycle.js'
import { preflightAll } from '../phases/preflight.js'
import { matchByOwner } from '../phases/select.js'
import type { SnapshotId } from '../snapshot-id.js'
import { takeSnapshotOnce } from '../phases/take.js'
import { nsToIso, type CanisterResult, type CommandContext, type CommandResult, type SnapshotRequest } from './types.js'

export const MAX_SNAPSHOTS = 10

interface Plan {
  canisterId: Principal
  running: boolean
  moduleHash: string | undefined
  existing: SnapshotInfo[]
  replace: SnapshotId | undefined
}

export async function runSnapshot(ctx: CommandContext, req: SnapshotRequest): Promise<CommandResult> {
  const { client, logger } = ctx
  const explicit = matchByOwner(req.replace, req.canisters, 'replace')
  const base = { operation: 'snapshot' as const, principal: client.principal, dryRun: req.dryRun }

  const checked = await logger.group('Check canisters', () =>
    preflightAll(req.canisters, 'snapshot', ctx, async (canisterId): Promise<Plan> => {
      const id = canisterId.toText()
      const { status, existing } = await preflightStatusAndSnapshots(client, canisterId, req.purpose ?? 'snapshot')
      if (status.moduleHash === undefined) throw new EmptyCanisterError({ canisterId: id })
      enforceCyclesCheck(id, status, logger, req.minCycles === undefined ? {} : { minCycles: req.minCycles })
      const replace = explicit.get(id) ?? req.chooseReplace?.(id, existing)
      if (replace !== undefined && !existing.some((s) => s.id === replace)) throw new SnapshotNotFoundError({ canisterId: id, snapshotId: replace })
      if (replace === undefined && existing.length >= MAX_SNAPSHOTS) throw new SnapshotLimitError({ canisterId: id })
      logger.info(`${id}: ${status.status}, ${existing.length} snapshot(s)${replace === undefined ? '' : `, replacing ${replace}`}.`)
      if (status.status === 'stopping') logger.warning(`${id} is stopping (someone else is stopping it); it is snapshotted as it is and not started.`)
      return { canisterId, running: status.status === 'running', moduleHash: status.moduleHash, existing, replace }
    })
  )
  if (!checked.ok) return { ...base, results: checked.results }
  const plans = checked.plans

  if (req.dryRun) {
    return { ...base, results: plans.map((p) => dryRunResult(p, req.stop)) }
  }
  if (!req.stop && plans.some((p) => p.running)) {
    logger.warning(
      'Taking snapshots of running canisters (stop: false): calls in flight at that moment are not captured consistently, and their callbacks may not make sense to the canister if the snapshot is loaded later.'
    )
  }

  const byId = new Map(plans.map((p) => [p.canisterId.toText(), p]))
  const lifecycle = new Lifecycle(client, logger, ctx.state)
  const members = plans.map((p) => ({ canisterId: p.canisterId, stop: req.stop && p.running, startAfterSuccess: false }))
  const cut = (group: typeof members, concurrency: number) =>
    consistentCut(group, {
      lifecycle,
      logger,
      deadline: ctx.deadline,
      concurrency,
      stopTimeoutSeconds: req.stopTimeoutSeconds,
      workPhase: group.length === 1 ? `Take the snapshot of ${group[0]?.canisterId.toText() ?? ''}` : `Take ${group.length} snapshot(s)`,
      work: async (canisterId) => {
        const plan = byId.get(canisterId.toText()) as Plan
        const taken = await takeSnapshotOnce(client, logger, canisterId, plan.replace, plan.existing)
        logger.info(`Took snapshot ${taken.id} of ${canisterId.toText()} (${taken.totalSize} bytes).`)
        return taken
      }
    })
  // Independent cycles: each canister's downtime is its own stop → take → start, not the slowest's.
  const limit = pLimit(Math.max(1, ctx.concurrency))
  const outcomes =
    req.consistent === false ? (await Promise.all(members.map((m) => limit(() => cut([m], 1))))).flat() : await cut(members, ctx.concurrency)

  const results = outcomes.map((o): CanisterResult => {
    const plan = byId.get(o.canisterId) as Plan
    if (o.error !== undefined) {
      return failedRow({ canisterId: o.canisterId, operation: 'snapshot' as const, downtimeMs: o.downtimeMs }, o.error)
    }
    const taken = o.value as SnapshotInfo
    return {
      canisterId: o.canisterId,
      operation: 'snapshot',
      outcome: 'ok',
      snapshotId: taken.id,
      takenAt: nsToIso(taken.takenAtNs),
      totalSize: taken.totalSize,
      ...(plan.moduleHash === undefined ? {} : { moduleHash: plan.moduleHash }),
      downtimeMs: o.downtimeMs,
      ...(plan.replace === undefined ? {} : { note: `replaced ${plan.replace}` })
    }
  })
  return { ...base, results }
}

function dryRunResult(p: Plan, stop: boolean): CanisterResult {
  const steps = [
    stop && p.running ? 'stop' : undefined,
    p.replace === undefined ? 'take a snapshot' : `take a snapshot replacing ${p.replace}`,
    stop && p.running ? 'start' : undefined
  ].filter((s): s is string => s !== undefined)
  return {
    canisterId: p.canisterId.toText(),
    operation: 'snapshot',
    outcome: 'dry-run',
    ...(p.moduleHash === undefined ? {} : { moduleHash: p.moduleHash }),
    note: `would ${steps.join(', then ')} (${p.existing.length}/${MAX_SNAPSHOTS} snapshots now)`
  }
}
