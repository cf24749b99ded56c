/**
 * The one flow of the action's main step and the CLI: inputs → canisters → connect → run. The
 * front ends differ only in where inputs come from and where the result goes (outputs and job
 * summary, or stdout), which they supply here.
 */
import { Deadline } from './deadline.js'
import type { ManagementClient } from './ic/management.js'
import { parseIdentity, type ParsedIdentity } from './identity.js'
import { parseConnection, type ConnectionInputs } from './inputs/common.js'
import { resolveCanisterRefs, resolveOtherRef, withNames } from './inputs/canisters.js'
import { readInputs, toRequest } from './inputs/parse.js'
import type { ReadInput } from './inputs/values.js'
import type { Logger } from './logger.js'
import { describeNetwork } from './network.js'
import { runOperation } from './operations/run.js'
import type { OperationResult } from './operations/types.js'
import { connect } from './session.js'
import type { StateStore } from './state.js'

export interface FrontEnd {
  read: ReadInput
  /** Where project canister names are looked up (the workspace, or the working directory). */
  projectRoot: string
  logger: Logger
  state: StateStore
  /** Told the identity's principal once connected (the action's `principal` output). */
  connected?: (principal: string) => void
  /**
   * Called before the operation starts changing anything; returns what undoes it afterwards. The
   * CLI, which has no post step, restarts what it stopped on Ctrl-C from here.
   */
  guard?: (client: ManagementClient) => () => void
}

export async function runFlow(fe: FrontEnd): Promise<OperationResult> {
  const inputs = await readInputs(fe.read)
  const resolved = await resolveCanisterRefs(inputs, fe.projectRoot)
  const command = (await inputs.spec.resolve?.(inputs.command, (ref, input) => resolveOtherRef(inputs, fe.projectRoot, ref, input))) ?? inputs.command
  const request = toRequest({ ...inputs, command: command as typeof inputs.command }, resolved.map((r) => r.principal))
  const { identity, client } = await connectWith(inputs)
  fe.connected?.(identity.principal)
  fe.logger.info(`Identity ${identity.principal} on ${describeNetwork(inputs.network)}.`)
  const ctx = { client, logger: fe.logger, state: fe.state, deadline: new Deadline(inputs.timeoutSeconds), concurrency: inputs.concurrency }
  const unguard = fe.guard?.(client)
  try {
    return withNames(await runOperation(ctx, request), resolved)
  } finally {
    unguard?.()
  }
}

/** Only the connection inputs: the post step reconnects with these and must not fail on the rest. */
export async function connectFrom(read: ReadInput): Promise<ManagementClient> {
  return (await connectWith(parseConnection(read))).client
}

async function connectWith(inputs: ConnectionInputs): Promise<{ identity: ParsedIdentity; client: ManagementClient }> {
  const identity = parseIdentity(inputs.identityPem, inputs.identityPassword)
  const client = await connect({ network: inputs.network, identity })
  return { identity, client }
}
