/** One entry point for the glue and the CLI: the request's `operation` picks the command. */
import { runDelete } from './delete.js'
import { runList } from './list.js'
import { runRollback } from './rollback.js'
import { runSnapshot } from './snapshot.js'
import type { CommandContext, CommandRequest, CommandResult } from './types.js'

export function runCommand(ctx: CommandContext, req: CommandRequest): Promise<CommandResult> {
  switch (req.operation) {
    case 'snapshot':
      return runSnapshot(ctx, req)
    case 'rollback':
      return runRollback(ctx, req)
    case 'list':
      return runList(ctx, req)
    case 'delete':
      return runDelete(ctx, req)
  }
}

export * from './types.js'
