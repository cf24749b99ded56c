/**
 * The `post:` step (`post-if: always()`): starts every canister the main step stopped and did not
 * start, e.g. because the job was cancelled or the step was killed. Problems become warnings, not
 * failures: the main step already reported its outcome.
 */
import * as core from '@actions/core'
import { getErrorMessage } from '../core/errors.js'
import { connectFrom } from '../core/flow.js'
import { restartPending } from '../core/phases/lifecycle.js'
import { readPendingRestarts } from '../core/state.js'
import { maskSecrets, readInput } from './inputs.js'
import { actionLogger } from './logger.js'
import { actionState } from './state.js'

export async function runPost(): Promise<void> {
  maskSecrets()
  const pending = readPendingRestarts(actionState)
  if (pending.length === 0) {
    core.info('No canister was left stopped by this step.')
    return
  }
  try {
    core.warning(`Restarting canister(s) this step stopped and did not start: ${pending.join(', ')}.`)
    const client = await connectFrom(readInput)
    const { restarted, failed } = await restartPending(client, actionLogger, actionState)
    if (restarted.length > 0) core.info(`Restarted ${restarted.join(', ')}.`)
    if (failed.length > 0) core.warning(`Could not restart ${failed.join(', ')}; start them with \`icp canister start <id>\`.`)
  } catch (error: unknown) {
    core.warning(`Could not restart ${pending.join(', ')}: ${getErrorMessage(error)}. Start them with \`icp canister start <id>\`.`)
  }
}
