/**
 * Builds the certified state tree and signs it. Calls that finish close together share one BLS
 * signature (as calls in one IC block share one certified height): each response is a different
 * witness of the same signed root, so the costly signing does not grow with the request rate.
 */
import { Principal } from '@icp-sdk/core/principal'
import type { Clock, Replica } from '../contracts.js'
import { encodeCbor, encodeCborParts } from '../crypto/cbor.js'
import { encodeLeb128 } from '../crypto/hash.js'
import { StateLeaf, StateLevel, type HashTree, type StateNode } from '../crypto/hash-tree.js'
import type { RequestStore } from './request-store.js'
import { rangesCbor, type RangesForm, type Subnet, type Topology } from './topology.js'

/** A shared certificate is reused for this long when nothing changed (clients accept minutes). */
const REUSE_NS = 1_000_000_000n
/**
 * Shared certificates are signed at most this often (an IC block takes about a second), or at most
 * once per certification window when the network models latency: signing per call would cost a
 * millisecond or more each and give every reply its own certificate for clients to check.
 */
const MIN_SIGN_INTERVAL_MS = 20
/**
 * Between two shared signings at least this many times the last signing's duration passes, so
 * signing takes at most a quarter of the CPU however busy the emulator is (on a loaded machine a
 * signature takes 30 ms and more, and a fixed interval would let signing crowd out the calls).
 */
const SIGN_GAP_FACTOR = 3
/** Calls never wait longer than this for a signature because of SIGN_GAP_FACTOR. */
const MAX_SIGN_GAP_MS = 100

interface Signed {
  root: StateLevel
  signature: Uint8Array
  version: number
  timeNs: bigint
}

export class Certifier {
  private readonly subnet: StateLevel
  private shared: Signed | undefined
  private pending: Promise<Signed> | undefined
  private lastSharedSignMs = -Infinity
  private lastSignDurationMs = 0
  /** Count of distinct signed trees, published as `certified_height`. */
  height = 0

  constructor(
    private readonly topology: Topology,
    private readonly subnetOfCertifier: Subnet,
    private readonly clock: Clock,
    private readonly requests: RequestStore,
    private readonly replica: Replica,
    /** Latency mode: shared signatures at most this often (see the server's certification window). */
    private readonly certificationWindowMs = 0
  ) {
    this.subnet = subnetLevel(subnetOfCertifier)
  }

  /**
   * Certificate bytes for `paths` (plus `/time`), pruned so absent paths are provably absent. With
   * delegation it carries the root-signed delegation, its ranges in `form`.
   */
  async certificate(paths: readonly (readonly Uint8Array[])[], form: RangesForm): Promise<Uint8Array> {
    return encodeCbor(await this.certificateValue(paths, form))
  }

  /**
   * The same certificate as parts to send in order (see `encodeCborParts`): a reply leaf of the
   * tree goes out as the stored reply itself, not as a copy.
   */
  async certificateParts(paths: readonly (readonly Uint8Array[])[], form: RangesForm): Promise<Uint8Array[]> {
    return encodeCborParts(await this.certificateValue(paths, form))
  }

  private async certificateValue(paths: readonly (readonly Uint8Array[])[], form: RangesForm): Promise<Record<string, unknown>> {
    const withTime = [...paths, [utf8('time')]]
    const canisters = canisterIdsIn(paths)
    // Canister subtrees are built for the canisters asked about, so such trees are signed one by one.
    const signed = canisters.length > 0 ? this.sign(this.buildRoot(canisters)) : await this.sharedSigned()
    const tree: HashTree = signed.root.witness(withTime)
    const delegation = this.topology.delegationFor(this.subnetOfCertifier, form, this.clock)
    return delegation === undefined ? { tree, signature: signed.signature } : { tree, signature: signed.signature, delegation }
  }

  private sharedSigned(): Promise<Signed> {
    const current = this.shared
    if (current !== undefined && current.version === this.requests.version && this.clock.nowNs() - current.timeNs < REUSE_NS) {
      return Promise.resolve(current)
    }
    // Everyone who asks until the next signing shares its signature.
    this.pending ??= new Promise<Signed>((resolve, reject) => {
      const signNow = (): void => {
        this.pending = undefined
        try {
          // CPU time, not wall time: on a busy machine a preempted signing looks long, and
          // waiting longer then would only hand the emulator's share of the CPU to others.
          const cpuBefore = process.cpuUsage()
          this.shared = this.sign(this.buildRoot([]))
          this.lastSharedSignMs = performance.now()
          const cpu = process.cpuUsage(cpuBefore)
          this.lastSignDurationMs = Math.min((cpu.user + cpu.system) / 1000, MAX_SIGN_GAP_MS / SIGN_GAP_FACTOR)
          resolve(this.shared)
        } catch (error: unknown) {
          reject(error)
        }
      }
      const gap = Math.max(MIN_SIGN_INTERVAL_MS, this.certificationWindowMs, SIGN_GAP_FACTOR * this.lastSignDurationMs)
      const wait = this.lastSharedSignMs + gap - performance.now()
      if (wait > 0) setTimeout(signNow, wait)
      else setImmediate(signNow)
    })
    return this.pending
  }

  private sign(root: StateLevel): Signed {
    const version = this.requests.version
    this.height++
    return { root, signature: this.subnetOfCertifier.key.signRootHash(root.hash), version, timeNs: this.clock.nowNs() }
  }

  private buildRoot(canisterIds: Uint8Array[]): StateLevel {
    const children: [string, StateNode][] = [
      ['request_status', this.requests.level()],
      ['subnet', this.subnet],
      ['time', new StateLeaf(encodeLeb128(this.clock.nowNs()))]
    ]
    if (canisterIds.length > 0) {
      const canisters: [Uint8Array, StateNode][] = []
      for (const raw of canisterIds) {
        const node = this.canisterNode(raw)
        if (node !== undefined) canisters.push([raw, node])
      }
      children.push(['canister', StateLevel.of(canisters)])
    }
    return StateLevel.of(children)
  }

  private canisterNode(raw: Uint8Array): StateLevel | undefined {
    let info
    try {
      info = this.replica.canisterInfo(Principal.fromUint8Array(raw))
    } catch {
      return undefined
    }
    if (info === undefined) return undefined
    const children: [Uint8Array | string, StateNode][] = [
      ['controllers', new StateLeaf(encodeCbor(info.controllers.map((c) => c.toUint8Array())))]
    ]
    if (info.moduleHash !== undefined) children.push(['module_hash', new StateLeaf(info.moduleHash)])
    if (info.metadata.size > 0) {
      children.push(['metadata', StateLevel.of([...info.metadata].map(([name, value]) => [name, new StateLeaf(value)] as const))])
    }
    return StateLevel.of(children)
  }
}

/**
 * `/subnet/<sid>/{canister_ranges, node/<nid>/public_key, public_key, type}` of the subnet's own
 * state (clients read node keys from it to check query signatures); it never changes.
 */
function subnetLevel(subnet: Subnet): StateLevel {
  const { nodeKey } = subnet
  const node = StateLevel.of([[nodeKey.nodeId.toUint8Array(), StateLevel.of([['public_key', new StateLeaf(nodeKey.der)]])]])
  const own = StateLevel.of([
    ['canister_ranges', new StateLeaf(rangesCbor(subnet))],
    ['node', node],
    ['public_key', new StateLeaf(subnet.key.der)],
    ['type', new StateLeaf(utf8('application'))]
  ])
  return StateLevel.of([[subnet.id.toUint8Array(), own]])
}

/** Canister-scoped paths: `/canister/<cid>/…`. */
function canisterIdsIn(paths: readonly (readonly Uint8Array[])[]): Uint8Array[] {
  const seen = new Map<string, Uint8Array>()
  for (const path of paths) {
    const [head, cid] = path
    if (head !== undefined && cid !== undefined && Buffer.from(head).toString() === 'canister') seen.set(Buffer.from(cid).toString('hex'), cid)
  }
  return [...seen.values()]
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

