/**
 * The action's main step: mask the secrets, parse the inputs, run one command, set the outputs,
 * write the summary, and fail once with a one-line message.
 */
import * as core from '@actions/core'
import { actionLogger } from './action-logger.js'
import { connectWith } from './connect-inputs.js'
import { Inputs, Outputs } from './constants.js'
import { runCommand } from './core/commands/index.js'
import { Deadline } from './core/deadline.js'
import { getErrorMessage } from './core/errors.js'
import { failureMessage, toOutputs } from './core/report.js'
import type { StateStore } from './core/state.js'
import { parseInputs, toPrincipals, toRequest } from './inputs.js'
import { writeSummary } from './summary.js'

export const actionState: StateStore = {
  get: (key) => core.getState(key) || undefined,
  set: (key, value) => core.saveState(key, value)
}

/** Masks the identity and its password before anything else reads or logs them. */
export function maskSecrets(): void {
  for (const name of [Inputs.Identity, Inputs.IdentityPassword]) {
    const value = core.getInput(name, { trimWhitespace: false })
    if (value.trim() !== '') core.setSecret(value.trim())
  }
}

export const IS_POST_STATE = 'is-post'

export async function run(): Promise<void> {
  maskSecrets()
  core.saveState(IS_POST_STATE, 'true')
  try {
    const inputs = parseInputs((name) => core.getInput(name, { trimWhitespace: false }))
    const request = toRequest(inputs.command, toPrincipals(inputs.canisterRefs))
    const { identity, client } = await connectWith(inputs)
    core.setOutput(Outputs.Principal, identity.principal)
    core.info(`Identity ${identity.principal} on ${inputs.network.name} (${inputs.network.host}).`)
    const deadline = new Deadline(inputs.timeoutSeconds)
    const ctx = { client, logger: actionLogger, state: actionState, deadline, concurrency: inputs.concurrency }
    const result = await runCommand(ctx, request)
    for (const [name, value] of Object.entries(toOutputs(result))) core.setOutput(name, value)
    await writeSummary(result)
    const failure = failureMessage(result)
    if (failure !== undefined) core.setFailed(failure)
  } catch (error: unknown) {
    core.setFailed(getErrorMessage(error))
  }
}
