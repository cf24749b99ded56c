/**
 * The wire layer assembled around any `Replica`: seeded keys, subnet identity and the HTTP server.
 * `Emulator.start` uses it with the real replica; wire tests use it with a small fake.
 */
import { Principal } from '@icp-sdk/core/principal'
import type { Clock, Replica } from '../contracts.js'
import { toHex } from '../crypto/hash.js'
import { NodeKey, RootKey } from '../crypto/keys.js'
import { HttpFaults } from '../faults.js'
import { IngressBlocks, PROFILE_NAMES, PROFILES, type ProfileName } from './pacing.js'
import { IcHttpServer } from './server.js'

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
}

export interface IcNetwork {
  url: string
  /** 133-byte DER BLS12-381 public key. */
  rootKey: Uint8Array
  rootKeyHex: string
  /** selfAuthenticating(rootKey), as clients derive it when certificates carry no delegation. */
  subnetId: Principal
  nodeId: Principal
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
  const rootKey = new RootKey(seed)
  await rootKey.preferWasm()
  const nodeKey = new NodeKey(seed)
  const subnetId = Principal.selfAuthenticating(rootKey.der)
  const faults = new HttpFaults()
  const server = new IcHttpServer({
    replica: options.replica,
    clock: options.clock,
    identity: { subnetId, rootKey, nodeKey },
    faults,
    latencyMs,
    maxInFlightUpdates: options.maxInFlightUpdates,
    syncCallTimeoutMs: nonNegative(options.syncCallTimeoutMs ?? 10_000, 'syncCallTimeoutMs'),
    maxBodyBytes: options.maxBodyBytes ?? 5 * 1024 * 1024,
    maxRetainedReplyBytes: options.maxRetainedReplyBytes,
    implVersion: 'canister-snapshot-action-emulator',
    roundTripMs: profile?.roundTripMs,
    ingressBlocks: profile === undefined ? undefined : new IngressBlocks(profile.ingress)
  })
  const url = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  return {
    url,
    rootKey: rootKey.der,
    rootKeyHex: toHex(rootKey.der),
    subnetId,
    nodeId: nodeKey.nodeId,
    faults,
    server,
    close: () => server.close()
  }
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${value}`)
  return value
}
