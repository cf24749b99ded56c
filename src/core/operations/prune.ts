/** `operation: prune`: delete the snapshots a retention policy rotates out. */
import { Inputs } from '../../constants.js'
import { runPruneCommand, type PruneRequest } from '../commands/prune.js'
import { InputError } from '../errors.js'
import { dryRunInput, parseRetention, readBoolean, RETENTION_INPUTS } from '../inputs/common.js'
import { forbid } from '../inputs/values.js'
import { finish } from './result.js'
import type { OperationSpec } from './types.js'

export const prune: OperationSpec<PruneRequest> = {
  name: 'prune',
  summary: 'delete the snapshots a retention policy rotates out',
  canisters: 'many',
  defaultConcurrency: 8,
  inputs: [...RETENTION_INPUTS, dryRunInput('print what would be deleted, change nothing')],
  parse(read) {
    const dryRun = readBoolean(read, Inputs.DryRun, false)
    forbid(read, Inputs.SnapshotId, 'prune')
    forbid(read, Inputs.Replace, 'prune')
    const policy = parseRetention(read)
    if (policy === undefined) throw new InputError(Inputs.Keep, `set (or '${Inputs.MaxAge}') for operation 'prune': the policy of what to delete`)
    return { operation: 'prune', policy, dryRun }
  },
  run: async (ctx, req) => finish(await runPruneCommand(ctx, req))
}
