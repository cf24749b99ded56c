/** Shared by the main and post steps: inputs → identity → verified connection. */
import type { ManagementClient } from './core/ic/management.js'
import { parseIdentity, type ParsedIdentity } from './core/identity.js'
import { connect } from './core/session.js'
import type { ActionInputs } from './inputs.js'

export async function connectWith(inputs: ActionInputs): Promise<{ identity: ParsedIdentity; client: ManagementClient }> {
  const identity = parseIdentity(inputs.identityPem, inputs.identityPassword)
  const client = await connect({ network: inputs.network, identity })
  return { identity, client }
}
