/**
 * The one place an `HttpAgent` is built. Verification stays on (certificates checked against the
 * root key, query signatures against subnet node keys); only the root key source varies.
 */
import { HttpAgent, type Identity } from '@icp-sdk/core/agent'
import { mapAgentError } from '../errors.js'
import type { RootKeyPolicy } from '../network.js'

export interface AgentOptions {
  host: string
  identity: Identity
  rootKey: RootKeyPolicy
  /** For tests and proxies; defaults to the global fetch. */
  fetch?: typeof fetch
  /** HTTP-level retries of the same signed request (the IC deduplicates by request ID). */
  retryTimes?: number
}

export async function createAgent({ host, identity, rootKey, fetch: fetchImpl, retryTimes = 2 }: AgentOptions): Promise<HttpAgent> {
  try {
    return await HttpAgent.create({
      host,
      identity,
      ...(rootKey.kind === 'pinned' ? { rootKey: rootKey.key } : { shouldFetchRootKey: true }),
      ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
      retryTimes,
      verifyQuerySignatures: true
    })
  } catch (error: unknown) {
    throw mapAgentError(error, { canisterId: '(none)', host, method: 'fetch the root key' })
  }
}
