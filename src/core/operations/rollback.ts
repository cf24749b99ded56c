/** `operation: rollback` (alias `restore`): stop → safety snapshot → load → start, confirmed running. */
import { Inputs } from '../../constants.js'
import { runRollback } from '../commands/rollback.js'
import type { RollbackRequest } from '../commands/types.js'
import { dryRunInput, parseSelector, parseStopTimeout, readBoolean, stopTimeoutInput } from '../inputs/common.js'
import { forbid } from '../inputs/values.js'
import { finish } from './result.js'
import type { OperationSpec } from './types.js'

export const rollback: OperationSpec<RollbackRequest> = {
  name: 'rollback',
  aliases: ['restore'],
  summary: 'load a snapshot (stop, safety snapshot, load, start)',
  canisters: 'many',
  defaultConcurrency: 8,
  inputs: [
    { name: Inputs.SnapshotId, type: 'string', required: true, value: 'id', description: "snapshot ID or 'latest'" },
    { name: Inputs.SafetySnapshot, type: 'boolean', default: 'true', description: 'do not snapshot the current state first' },
    stopTimeoutInput(),
    dryRunInput()
  ],
  parse(read) {
    const stopTimeoutSeconds = parseStopTimeout(read)
    const dryRun = readBoolean(read, Inputs.DryRun, false)
    forbid(read, Inputs.Replace, 'rollback')
    return {
      operation: 'rollback',
      snapshot: parseSelector(read, 'rollback'),
      safetySnapshot: readBoolean(read, Inputs.SafetySnapshot, true),
      stopTimeoutSeconds,
      dryRun
    }
  },
  run: async (ctx, req) => finish(await runRollback(ctx, req))
}
