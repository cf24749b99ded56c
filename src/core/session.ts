/**
 * Connects an identity to a network: builds the verifying agent and the management client. The
 * root key is fetched only when the network policy says so (never for mainnet).
 */
import { createAgent } from './ic/agent.js'
import { ManagementClient } from './ic/management.js'
import type { ParsedIdentity } from './identity.js'
import type { NetworkConfig } from './network.js'

export interface ConnectOptions {
  network: NetworkConfig
  identity: ParsedIdentity
  fetch?: typeof fetch
}

export async function connect({ network, identity, fetch: fetchImpl }: ConnectOptions): Promise<ManagementClient> {
  const agent = await createAgent({
    host: network.host,
    identity: identity.identity,
    rootKey: network.rootKey,
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl })
  })
  return ManagementClient.create({ agent, host: network.host, network: network.name, principal: identity.principal })
}
