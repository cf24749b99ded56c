import type { CommandResult } from '../commands/types.js'
import { failureMessage } from '../report.js'
import type { OperationResult } from './types.js'

/** The one result shape: outputs, job summary and `--json` treat every operation alike. */
export function finish(result: CommandResult, extraOutputs: Record<string, string> = {}): OperationResult {
  return { ...result, extraOutputs, failure: failureMessage(result) }
}
