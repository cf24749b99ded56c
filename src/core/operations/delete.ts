/** `operation: delete`: resolve the snapshot on every canister first, then delete it. */
import { Inputs } from '../../constants.js'
import { runDelete } from '../commands/delete.js'
import type { DeleteRequest } from '../commands/types.js'
import { dryRunInput, parseSelector, readBoolean } from '../inputs/common.js'
import { forbid } from '../inputs/values.js'
import { finish } from './result.js'
import type { OperationSpec } from './types.js'

export const remove: OperationSpec<DeleteRequest> = {
  name: 'delete',
  summary: 'delete a snapshot',
  canisters: 'many',
  defaultConcurrency: 8,
  inputs: [{ name: Inputs.SnapshotId, type: 'string', required: true, value: 'id', description: "snapshot ID or 'latest'" }, dryRunInput()],
  parse(read) {
    const dryRun = readBoolean(read, Inputs.DryRun, false)
    forbid(read, Inputs.Replace, 'delete')
    return { operation: 'delete', snapshot: parseSelector(read, 'delete'), dryRun }
  },
  run: async (ctx, req) => finish(await runDelete(ctx, req))
}
