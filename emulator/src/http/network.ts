/**
 * The wire layer assembled around any `Replica`: seeded keys, subnet identity and the HTTP server.
 * `Emulator.start` uses it with the real replica; wire tests use it with a small fake.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { Clock, Replica } from '../contracts.js'
import { toHex } from '../crypto/hash.js'
import { RootKey } from '../crypto/keys.js'
import { HttpFaults } from '../faults.js'
import { IngressBlocks, PROFILE_NAMES, PROFILES, type ProfileName } from './pacing.js'
import { IcHttpServer, type ExecutedCall } from './server.js'
import { Topology, type Subnet } from './topology.js'

export const DEFAULT_SEED = 'canister-snapshot-action emulator'

export interface NetworkOptions {
  replica: Replica
  clock: Clock
  /** 0 = any free port. */
  port?: number
  /** Loopback by default; the emulator has no authentication of its own. */
  host?: string
  /** Derives the root and node keys, so a pinned root key stays valid across runs. */
  seed?: string
  /** Default 0, or the profile's update latency. */
  latencyMs?: number
  /** The pace of a real network (see pacing.ts): update latency, query round trips, ingress per block. */
  profile?: ProfileName
  maxInFlightUpdates?: number
  syncCallTimeoutMs?: number
  maxBodyBytes?: number
  /** Default 512 MiB: beyond it the oldest finished calls drop their replies (status `done`). */
  maxRetainedReplyBytes?: number
  /** Subnets and keys, when the caller built them (the emulator shares them with its replica). */
  topology?: Topology
  /** Without `topology`: certificates signed by subnet keys and delegated by the root key (default true). */
  delegation?: boolean
  /** Without `topology`: how many subnets (default 1; more than one needs delegation). */
  subnets?: number
  /** Told of every update call once it has executed (see `ExecutedCall`). */
  onCall?: (call: ExecutedCall) => void
}

export interface IcNetwork {
  url: string
  /** 133-byte DER BLS12-381 public key. */
  rootKey: Uint8Array
  rootKeyHex: string
  /** The first subnet's id: selfAuthenticating(rootKey) without delegation, as clients then derive it. */
  subnetId: Principal
  /** The first subnet's node (it signs that subnet's query responses). */
  nodeId: Principal
  topology: Topology
  faults: HttpFaults
  server: IcHttpServer
  close(): Promise<void>
}

export async function startNetwork(options: NetworkOptions): Promise<IcNetwork> {
  const seed = options.seed ?? DEFAULT_SEED
  const profile = options.profile === undefined ? undefined : PROFILES[options.profile]
  if (options.profile !== undefined && profile === undefined) throw new RangeError(`profile must be one of ${PROFILE_NAMES.join(', ')}, got ${options.profile}`)
  const latencyMs = nonNegative(options.latencyMs ?? profile?.updateLatencyMs ?? 0, 'latencyMs')
  if (options.maxInFlightUpdates !== undefined && (!Number.isInteger(options.maxInFlightUpdates) || options.maxInFlightUpdates < 1)) {
    throw new RangeError(`maxInFlightUpdates must be a positive integer, got ${options.maxInFlightUpdates}`)
  }
  const topology = options.topology ?? (await createTopology(seed, options.delegation ?? true, options.subnets ?? 1))
  const first = topology.subnets[0] as Subnet
  const faults = new HttpFaults()
  const server = new IcHttpServer({
    replica: options.replica,
    clock: options.clock,
    topology,
    faults,
    latencyMs,
    maxInFlightUpdates: options.maxInFlightUpdates,
    syncCallTimeoutMs: nonNegative(options.syncCallTimeoutMs ?? 10_000, 'syncCallTimeoutMs'),
    maxBodyBytes: options.maxBodyBytes ?? 5 * 1024 * 1024,
    maxRetainedReplyBytes: options.maxRetainedReplyBytes,
    implVersion: 'canister-snapshot-action-emulator',
    roundTripMs: profile?.roundTripMs,
    ingressBlocks: profile === undefined ? undefined : new IngressBlocks(profile.ingress),
    onCall: options.onCall
  })
  const url = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  return {
    url,
    rootKey: topology.rootKey.der,
    rootKeyHex: toHex(topology.rootKey.der),
    subnetId: first.id,
    nodeId: first.nodeKey.nodeId,
    topology,
    faults,
    server,
    close: () => server.close()
  }
}

/** The root key from `seed`, and the subnets it delegates to. */
export async function createTopology(seed: string, delegation: boolean, subnets: number): Promise<Topology> {
  const rootKey = new RootKey(seed)
  await rootKey.preferWasm()
  return Topology.create({ seed, rootKey, delegation, subnets })
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${value}`)
  return value
}
