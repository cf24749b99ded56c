/**
 * A local Internet Computer network for tests, demos and benchmarks: the IC HTTP interface
 * (http/, crypto/) over the emulated replica (replica/) running real Wasm (execution/).
 *
 *   const net = await Emulator.start({ seed: 'ci' })
 *   const agent = await HttpAgent.create({ host: net.url, identity, rootKey: net.rootKey })
 *   …
 *   await net.close()
 */
import { Principal } from '@icp-sdk/core/principal'
import { SystemClock } from './clock.js'
import { createWasmEngine } from './execution/index.js'
import type { DropResponseOptions, FailNextOptions } from './faults.js'
import { createTopology, DEFAULT_SEED, startNetwork, type IcNetwork } from './http/network.js'
import type { Subnet } from './http/topology.js'
import { IcReplica, type CanisterView, type CreateCanisterOptions } from './replica/index.js'
import type { ReplyShape } from './replica/reply-shapes.js'
import type { ProfileName } from './http/pacing.js'
import type { ExecutedCall } from './http/server.js'

export type { DropResponseOptions, EndpointKind, FailNextOptions, FailureMode, FaultMatch } from './faults.js'
export type { CanisterView, CreateCanisterOptions, SnapshotView } from './replica/index.js'
export type { Subnet } from './http/topology.js'
export type { ExecutedCall } from './http/server.js'
export { REPLY_SHAPES, type ReplyShape } from './replica/reply-shapes.js'
export { PROFILE_NAMES, PROFILES, type NetworkProfile, type ProfileName } from './http/pacing.js'
export { DEFAULT_SEED }

export interface EmulatorOptions {
  /** 0 (default) = any free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Seeds the root and node keys; the same seed gives the same root key. */
  seed?: string
  /** Time an update call takes, certification included (a consensus round); queries and read_state answer at once. Default 0. */
  latencyMs?: number
  /**
   * `mainnet`: update calls take 2 s (unless `latencyMs` says otherwise), queries and read_state
   * 250 ms, and ingress is packed into one block per second of at most about 4 MB, so large uploads
   * wait for blocks as on an application subnet (see src/http/pacing.ts). Default: no profile.
   */
  profile?: ProfileName
  /** Cap on update calls waiting or executing at once; later calls queue. Unlimited by default. */
  maxInFlightUpdates?: number
  /** How long `stop_canister` may stay `stopping` before failing with IC0206. Default 5 minutes. */
  stopTimeoutMs?: number
  /** How long a v3/v4 call waits for its result before answering 202. Default 10 s, as the replica. */
  syncCallTimeoutMs?: number
  /** Bytes of finished calls' replies kept for polling and resends (default 512 MiB); beyond it the
   * oldest calls turn `done` and lose their replies, as on the IC after expiry. */
  maxRetainedReplyBytes?: number
  /** Receives `ic0.debug_print` output; silent by default. */
  onDebugPrint?: (canisterId: Principal, text: string) => void
  /**
   * Told of every update call once the replica has executed it, rejected ones included: once per
   * request ID, so a client's resend of the same request is not reported twice. A test counts with
   * it what a client outside its process (the CLI as a child) made the network do.
   */
  onCall?: (call: ExecutedCall) => void
  /**
   * Certificates signed by subnet keys and delegated by the root key, as on mainnet (default true).
   * `false`: one subnet signing with the root key and covering every canister id, as a local replica.
   */
  delegation?: boolean
  /** Subnets, each with its own key and canister range of 2^20 ids (default 1; more need delegation). */
  subnets?: number
  /**
   * Whose records `canister_status` and the snapshot methods answer with: `current` (default, today's
   * ic.did), `legacy` (a replica from before `memory_metrics`, `environment_variables`,
   * `ready_for_migration` and `snapshot_visibility`) or `future` (an extra field in every record and
   * an extra case in their variants). See src/replica/reply-shapes.ts.
   */
  statusShape?: ReplyShape
}

export interface EmulatorFaults {
  /** The next `count` requests matching `endpoint` and/or `method` fail with `mode` (503, 429, 'reset', 'hang'). */
  failNext(options: FailNextOptions): void
  /** The next `count` update calls (of `method`, if given) execute, but the client gets a reset connection. */
  dropResponse(options?: DropResponseOptions): void
  /** Keeps the canister in `stopping` until its stop times out (IC0206), or releases it with `on = false`. */
  holdStopping(id: Principal, on?: boolean): void
  /** Sets the canister's cycle balance to `leave` (default 0). */
  drainCycles(id: Principal, leave?: bigint): void
  /** Moves the emulator's clock `ms` ahead of real time (negative = behind); 0 resets it. */
  skewClock(ms: number): void
  /** Disarms every pending HTTP fault. */
  clear(): void
  /** How many armed HTTP failures and drops have not fired yet. */
  pending(): number
}

export class Emulator {
  readonly url: string
  /** 133-byte DER BLS12-381 root key; pass it to `HttpAgent.create({ rootKey })` or `icp --root-key`. */
  readonly rootKey: Uint8Array
  readonly rootKeyHex: string
  /** The first subnet's id (where `createCanister` puts canisters by default). */
  readonly subnetId: Principal
  /** Every subnet: id, key, node key and canister range. */
  readonly subnets: readonly Subnet[]
  readonly faults: EmulatorFaults
  private closed = false

  private constructor(
    private readonly network: IcNetwork,
    readonly replica: IcReplica,
    private readonly clock: SystemClock
  ) {
    this.url = network.url
    this.rootKey = network.rootKey
    this.rootKeyHex = network.rootKeyHex
    this.subnetId = network.subnetId
    this.subnets = network.topology.subnets
    const httpFaults = network.faults
    this.faults = {
      failNext: (options) => httpFaults.failNext(options),
      dropResponse: (options) => httpFaults.dropResponse(options),
      holdStopping: (id, on) => replica.faults.holdStopping(id, on),
      drainCycles: (id, leave) => replica.faults.drainCycles(id, leave),
      skewClock: (ms) => clock.skew(ms),
      clear: () => httpFaults.clear(),
      pending: () => httpFaults.pending()
    }
  }

  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    const clock = new SystemClock()
    const seed = options.seed ?? DEFAULT_SEED
    const topology = await createTopology(seed, options.delegation ?? true, options.subnets ?? 1)
    const replica = new IcReplica({
      clock,
      engine: createWasmEngine(),
      stopTimeoutMs: options.stopTimeoutMs,
      onDebugPrint: options.onDebugPrint,
      topology,
      replyShape: options.statusShape
    })
    const network = await startNetwork({
      replica,
      clock,
      port: options.port,
      host: options.host,
      seed,
      topology,
      latencyMs: options.latencyMs,
      profile: options.profile,
      maxInFlightUpdates: options.maxInFlightUpdates,
      syncCallTimeoutMs: options.syncCallTimeoutMs,
      maxRetainedReplyBytes: options.maxRetainedReplyBytes,
      onCall: options.onCall
    })
    return new Emulator(network, replica, clock)
  }

  /**
   * Test control (no IC call): a canister with these controllers and cycles, optionally with code,
   * its id from the range of `subnet` (default 0).
   */
  createCanister(options: CreateCanisterOptions): Promise<Principal> {
    return this.replica.createCanister(options)
  }

  /** The subnet whose range holds `id` (as the boundary node routes); undefined for `aaaaa-aa` and ids outside every range. */
  subnetOf(id: Principal | string): Subnet | undefined {
    return this.network.topology.subnetOf(typeof id === 'string' ? Principal.fromText(id) : id)
  }

  /** A copy of the canister's state (status, controllers, cycles, module hash, snapshots, version…). */
  canister(id: Principal): CanisterView | undefined {
    return this.replica.canister(id)
  }

  /** Closes the port, fails pending stops and waits for executions in progress. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.replica.close()
    await this.network.close()
  }
}
