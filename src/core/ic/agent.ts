/**
 * The one place an `HttpAgent` is built. Verification stays on (certificates checked against the
 * root key, query signatures against subnet node keys); only the root key source varies.
 */
import { blsVerify, HttpAgent, type Identity, type PollingOptions, type UpdateOptions, type UpdateResult } from '@icp-sdk/core/agent'
import type { Principal } from '@icp-sdk/core/principal'
import { mapAgentError } from '../errors.js'
import { createCachedBlsVerify, type VerifyFn } from './bls-cache.js'
import { loadWasmBlsVerify } from './bls-wasm.js'
import { createDirectFetch } from './direct-fetch.js'
import type { RootKeyPolicy } from '../network.js'

export interface AgentOptions {
  host: string
  identity: Identity
  rootKey: RootKeyPolicy
  /** For tests and proxies; defaults to `node:http` for requests with a body and the global fetch for the rest. */
  fetch?: typeof fetch
  /** HTTP-level retries of the same signed request (the IC deduplicates by request ID). */
  retryTimes?: number
}

/**
 * Every update reply is still verified, with the pairing in WebAssembly; only the repeated check
 * of one round is skipped.
 */
class RoundCachingAgent extends HttpAgent {
  private verify: VerifyFn = blsVerify
  private readonly cachedBlsVerify = createCachedBlsVerify((pk, sig, msg) => this.verify(pk, sig, msg))

  useBlsVerify(verify: VerifyFn): void {
    this.verify = verify
  }

  override update(canisterId: Principal | string, fields: UpdateOptions, pollingOptions: PollingOptions = {}): Promise<UpdateResult> {
    // Actors pass `blsVerify: undefined` explicitly, so a spread default would be overwritten.
    return super.update(canisterId, fields, { ...pollingOptions, blsVerify: pollingOptions.blsVerify ?? this.cachedBlsVerify })
  }
}

export async function createAgent({ host, identity, rootKey, fetch: fetchImpl, retryTimes = 2 }: AgentOptions): Promise<HttpAgent> {
  try {
    // `HttpAgent.create` always builds the base class, so the subclass is built directly and the
    // root key fetched the way `create` would.
    const agent = new RoundCachingAgent({
      host,
      identity,
      ...(rootKey.kind === 'pinned' ? { rootKey: rootKey.key } : { shouldFetchRootKey: true }),
      fetch: fetchImpl ?? createDirectFetch(),
      retryTimes,
      verifyQuerySignatures: true
    })
    // The WebAssembly (≈ 80 ms to load) is ready before the first call: loading it later would stall
    // the event loop just as a fleet's first round of calls goes out.
    const [verify] = await Promise.all([wasmOrAgentBlsVerify(), rootKey.kind === 'pinned' ? undefined : agent.fetchRootKey()])
    agent.useBlsVerify(verify)
    return agent
  } catch (error: unknown) {
    throw mapAgentError(error, { canisterId: '(none)', host, method: 'fetch the root key' })
  }
}

/** The agent's own check stays as the fallback should WebAssembly be unavailable: slower, as exact. */
function wasmOrAgentBlsVerify(): Promise<VerifyFn> {
  return loadWasmBlsVerify().catch(() => blsVerify)
}
