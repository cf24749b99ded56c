/** `operation: list`: every snapshot of every canister, oldest first. Changes nothing. */
import { Inputs } from '../../constants.js'
import { runList } from '../commands/list.js'
import type { ListRequest } from '../commands/types.js'
import { forbid } from '../inputs/values.js'
import { finish } from './result.js'
import type { OperationSpec } from './types.js'

export const list: OperationSpec<ListRequest> = {
  name: 'list',
  summary: 'list snapshots',
  canisters: 'many',
  // The list call follows the canister's `snapshot_visibility` (IC interface spec 0.57.0:
  // controllers by default, or public, or allowed viewers), but the engine still runs the
  // controller preflight; false once a viewer identity can skip it.
  needsController: true,
  defaultConcurrency: 8,
  inputs: [],
  parse(read) {
    forbid(read, Inputs.SnapshotId, 'list')
    forbid(read, Inputs.Replace, 'list')
    return { operation: 'list' }
  },
  run: async (ctx, req) => finish(await runList(ctx, req))
}
