/** One entry point for the glue and the CLI: the request's `operation` picks the command. */
import { withTimeout } from '../deadline.js'
import { OperationTimeoutError } from '../errors.js'
import { START_BUDGET_MS } from '../lifecycle.js'
import { runDelete } from './delete.js'
import { runList } from './list.js'
import { runRollback } from './rollback.js'
import { runSnapshot } from './snapshot.js'
import type { CommandContext, CommandRequest, CommandResult } from './types.js'

/**
 * The phases honour `ctx.deadline` themselves (work is cut off, restarts still run); this outer
 * bound only catches a hang outside them, leaving the restart budget on top. Anything still
 * stopped after that is the post step's to restart.
 */
export function runCommand(ctx: CommandContext, req: CommandRequest): Promise<CommandResult> {
  return withTimeout(dispatch(ctx, req), ctx.deadline.remainingMs() + START_BUDGET_MS, () => new OperationTimeoutError(`The ${req.operation}`, ctx.deadline.seconds))
}

function dispatch(ctx: CommandContext, req: CommandRequest): Promise<CommandResult> {
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
