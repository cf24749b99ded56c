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
  defaultConcurrency: 8,
  inputs: [],
  parse(read) {
    forbid(read, Inputs.SnapshotId, 'list')
    forbid(read, Inputs.Replace, 'list')
    return { operation: 'list' }
  },
  run: async (ctx, req) => finish(await runList(ctx, req))
}
