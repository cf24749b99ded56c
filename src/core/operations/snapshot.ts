/**
 * `operation: snapshot`: stop → snapshot → start (one consistent cut by default), with retention
 * (at the limit the oldest unprotected snapshot is replaced by the new one, then the policy prunes).
 */
import { Inputs } from '../../constants.js'
import { runSnapshot } from '../commands/snapshot.js'
import { pruneAfterSnapshot, pruneFailure } from '../commands/prune.js'
import type { CanisterResult, SnapshotRequest } from '../commands/types.js'
import { parseMinCycles } from '../cycles-check.js'
import {
  dryRunInput,
  parseRetention,
  parseStopTimeout,
  readBoolean,
  readIdList,
  replaceInput,
  RETENTION_INPUTS,
  stopInput,
  stopTimeoutInput
} from '../inputs/common.js'
import { forbid } from '../inputs/values.js'
import { planReplacement, type RetentionPolicy } from '../retention/policy.js'
import { finish } from './result.js'
import type { OperationSpec } from './types.js'

export type SnapshotWithRetention = SnapshotRequest & { retention?: RetentionPolicy }

export const snapshot: OperationSpec<SnapshotWithRetention> = {
  name: 'snapshot',
  summary: 'take a snapshot (stop, snapshot, start)',
  canisters: 'many',
  defaultConcurrency: 8,
  inputs: [
    replaceInput,
    stopInput('snapshot while running (zero downtime; in-flight calls are not captured consistently)'),
    { name: Inputs.Consistent, type: 'boolean', default: 'true', description: 'stop, snapshot and start each canister on its own instead of one cut' },
    { name: Inputs.MinCycles, type: 'string', value: 'cycles', description: 'fail when a snapshot would leave less, e.g. 1.5T' },
    stopTimeoutInput(),
    dryRunInput(),
    ...RETENTION_INPUTS
  ],
  parse(read) {
    forbid(read, Inputs.SnapshotId, 'snapshot')
    const stopTimeoutSeconds = parseStopTimeout(read)
    const dryRun = readBoolean(read, Inputs.DryRun, false)
    const retention = parseRetention(read)
    const minCycles = parseMinCycles(read(Inputs.MinCycles))
    return {
      operation: 'snapshot',
      replace: readIdList(read, Inputs.Replace),
      stop: readBoolean(read, Inputs.Stop, true),
      stopTimeoutSeconds,
      dryRun,
      consistent: readBoolean(read, Inputs.Consistent, true),
      ...(retention === undefined ? {} : { retention }),
      ...(minCycles === undefined ? {} : { minCycles })
    }
  },
  async run(ctx, req) {
    const { retention, ...request } = req
    if (retention === undefined) return finish(await runSnapshot(ctx, request))
    const result = await runSnapshot(ctx, {
      ...request,
      // At the limit, the oldest unprotected snapshot is replaced atomically by the new one.
      chooseReplace: (canisterId, existing) => planReplacement(canisterId, existing, retention).replace?.id
    })
    if (request.dryRun) return finish(result)
    const pruned = await ctx.logger.group('Apply retention', () =>
      pruneAfterSnapshot({ client: ctx.client, logger: ctx.logger, policy: retention, results: result.results, concurrency: ctx.concurrency, deadline: ctx.deadline })
    )
    const deletedBy = new Map(pruned.canisters.map((c) => [c.canisterId, c.deleted.map((d) => d.snapshot.id)]))
    const results = result.results.map((r): CanisterResult => {
      const deleted = deletedBy.get(r.canisterId) ?? []
      if (deleted.length === 0) return r
      const note = `rotated out ${deleted.join(', ')}`
      return { ...r, note: r.note === undefined ? note : `${r.note}; ${note}` }
    })
    const out = finish({ ...result, results })
    const pruneError = pruneFailure(pruned)
    if (pruneError !== undefined) out.failure = out.failure === undefined ? pruneError.message : `${out.failure} | ${pruneError.message}`
    return out
  }
}
