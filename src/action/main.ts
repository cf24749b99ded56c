/**
 * The action's main step: mask the secrets, run the shared flow, set the outputs, write the
 * summary, and fail once with a one-line message.
 */
import * as core from '@actions/core'
import { Outputs } from '../constants.js'
import { getErrorMessage } from '../core/errors.js'
import { runFlow } from '../core/flow.js'
import { toOutputs } from '../core/report.js'
import { maskSecrets, readInput } from './inputs.js'
import { actionLogger } from './logger.js'
import { actionState, IS_POST_STATE } from './state.js'
import { writeSummary } from './summary.js'

export async function run(): Promise<void> {
  maskSecrets()
  core.saveState(IS_POST_STATE, 'true')
  try {
    const result = await runFlow({
      read: readInput,
      projectRoot: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      logger: actionLogger,
      state: actionState,
      connected: (principal) => core.setOutput(Outputs.Principal, principal)
    })
    for (const [name, value] of Object.entries({ ...toOutputs(result), ...result.extraOutputs })) core.setOutput(name, value)
    await writeSummary(result)
    if (result.failure !== undefined) core.setFailed(result.failure)
  } catch (error: unknown) {
    core.setFailed(getErrorMessage(error))
  }
}
