/** The one way an operation runs, for the action, its post step's caller and the CLI alike. */
import type { CommandContext } from '../commands/types.js'
import { withTimeout } from '../deadline.js'
import { OperationTimeoutError } from '../errors.js'
import { START_BUDGET_MS } from '../phases/lifecycle.js'
import { findOperation, type OperationRequest } from './registry.js'
import type { OperationResult } from './types.js'

/**
 * The phases honour `ctx.deadline` themselves (work is cut off, restarts still run); this outer
 * bound only catches a hang outside them, leaving the restart budget on top. Anything still
 * stopped after that is the post step's to restart.
 */
export function runOperation(ctx: CommandContext, req: OperationRequest): Promise<OperationResult> {
  const spec = findOperation(req.operation)
  if (spec === undefined) throw new TypeError(`No operation '${req.operation}' is registered.`)
  return withTimeout(spec.run(ctx, req), ctx.deadline.remainingMs() + START_BUDGET_MS, () => new OperationTimeoutError(`The ${req.operation}`, ctx.deadline.seconds))
}
