/**
 * The one place an `HttpAgent` is built. Verification stays on (certificates checked against the
 * root key, query signatures against subnet node keys); only the root key source varies.
 */
import {
  blsVerify,
  HttpAgent,
  type CallOptions,
  type Identity,
  type PollingOptions,
  type QueryFields,
  type SubmitResponse,
  type ApiQueryResponse,
  type UpdateOptions,
  type UpdateResult
} from '@icp-sdk/core/agent'
import { Principal } from '@icp-sdk/core/principal'
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
  private verifier: Promise<VerifyFn> | undefined
  /** A canister this agent has addressed, which any subnet's boundary node can route. */
  private routableCanister: Principal | undefined
  private readonly cachedBlsVerify = createCachedBlsVerify(async (pk, sig, msg) => (await this.loadVerifier())(pk, sig, msg))

  /** Loads the verifier on the first call only; every check waits for that one load. */
  loadVerifier(): Promise<VerifyFn> {
    this.verifier ??= wasmOrAgentBlsVerify()
    return this.verifier
  }

  override call(canisterId: Principal | string, options: CallOptions, identity?: Identity | Promise<Identity>): Promise<SubmitResponse> {
    this.remember(options.effectiveCanisterId ?? canisterId)
    return super.call(canisterId, options, identity)
  }

  override query(canisterId: Principal | string, fields: QueryFields, identity?: Identity | Promise<Identity>): Promise<ApiQueryResponse> {
    this.remember(fields.effectiveCanisterId ?? canisterId)
    return super.query(canisterId, fields, identity)
  }

  /**
   * The agent resyncs its clock after an expiry error by reading `/time` at the *callee*, which for
   * management calls is `aaaaa-aa`: no boundary node can route that (mainnet answers 400
   * canister_not_found), so the resync would fail and hide the real problem. `/time` is the same at
   * every subnet, so the read goes to a canister this agent has addressed instead.
   */
  override syncTime(canisterIdOverride?: Principal): Promise<void> {
    const unroutable = canisterIdOverride !== undefined && canisterIdOverride.toUint8Array().length === 0
    return super.syncTime(unroutable ? this.routableCanister : canisterIdOverride)
  }

  private remember(id: Principal | string): void {
    const principal = typeof id === 'string' ? Principal.fromText(id) : id
    if (principal.toUint8Array().length > 0) this.routableCanister = principal
  }

  override update(canisterId: Principal | string, fields: UpdateOptions, pollingOptions: PollingOptions = {}): Promise<UpdateResult> {
    // Actors pass `blsVerify: undefined` explicitly, so a spread default would be overwritten.
    return super.update(canisterId, fields, { ...pollingOptions, blsVerify: pollingOptions.blsVerify ?? this.cachedBlsVerify })
  }
}

export async function createAgent({ host, identity, rootKey, fetch: fetchImpl, retryTimes = 2 }: AgentOptions): Promise<HttpAgent> {
  try {
    // Loading the WebAssembly verifier holds this thread for ≈ 80 ms, and nothing needs it before
    // the first reply: it loads once the first request is on the wire, inside that round trip
    // instead of before it. (setImmediate: the rest of a first round still goes out first.)
    let loadStarted = false
    const loadVerifierWhileWaiting = (): void => {
      if (loadStarted) return
      loadStarted = true
      setImmediate(() => void agent.loadVerifier())
    }
    // `HttpAgent.create` always builds the base class, so the subclass is built directly and the
    // root key fetched the way `create` would.
    const agent = new RoundCachingAgent({
      host,
      identity,
      ...(rootKey.kind === 'pinned' ? { rootKey: rootKey.key } : { shouldFetchRootKey: true }),
      fetch: fetchImpl ?? createDirectFetch(undefined, { onRequestSent: loadVerifierWhileWaiting }),
      retryTimes,
      verifyQuerySignatures: true
    })
    if (rootKey.kind !== 'pinned') await agent.fetchRootKey()
    return agent
  } catch (error: unknown) {
    throw mapAgentError(error, { canisterId: '(none)', host, method: 'fetch the root key' })
  }
}

/** The agent's own check stays as the fallback should WebAssembly be unavailable: slower, as exact. */
function wasmOrAgentBlsVerify(): Promise<VerifyFn> {
  return loadWasmBlsVerify().catch(() => blsVerify)
}
