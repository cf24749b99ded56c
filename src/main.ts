/**
 * The action's main step: mask the secrets, parse the inputs, run one command, set the outputs,
 * write the summary, and fail once with a one-line message.
 */
import * as core from '@actions/core'
import { actionLogger } from './action-logger.js'
import { connectWith } from './connect-inputs.js'
import { Outputs, SecretInputs } from './constants.js'
import { Deadline } from './core/deadline.js'
import { describeNetwork } from './core/network.js'
import { getErrorMessage } from './core/errors.js'
import { runOperation } from './core/operation.js'
import { toOutputs } from './core/report.js'
import type { StateStore } from './core/state.js'
import { resolveCanisterRefs, withNames } from './canisters.js'
import { parseInputs, toRequest } from './inputs.js'
import { writeSummary } from './summary.js'

export const actionState: StateStore = {
  get: (key) => core.getState(key) || undefined,
  set: (key, value) => core.saveState(key, value)
}

/** Masks the identity and its password before anything else reads or logs them. */
export function maskSecrets(): void {
  for (const name of SecretInputs) {
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
    const resolved = await resolveCanisterRefs(inputs, process.env.GITHUB_WORKSPACE ?? process.cwd())
    const request = toRequest(inputs.command, resolved.map((r) => r.principal))
    const { identity, client } = await connectWith(inputs)
    core.setOutput(Outputs.Principal, identity.principal)
    core.info(`Identity ${identity.principal} on ${describeNetwork(inputs.network)}.`)
    const deadline = new Deadline(inputs.timeoutSeconds)
    const ctx = { client, logger: actionLogger, state: actionState, deadline, concurrency: inputs.concurrency }
    const result = withNames(await runOperation(ctx, request), resolved)
    for (const [name, value] of Object.entries({ ...toOutputs(result), ...result.extraOutputs })) core.setOutput(name, value)
    await writeSummary(result)
    if (result.failure !== undefined) core.setFailed(result.failure)
  } catch (error: unknown) {
    core.setFailed(getErrorMessage(error))
  }
}
