/**
 * The network's subnets and how certificates prove which subnet may speak for a canister.
 *
 * With delegation (the default, as on mainnet) every subnet has its own BLS key and canister range,
 * and its certificates carry a delegation: a certificate signed by the root key (the NNS) that
 * publishes the subnet's public key and ranges (interface spec, "Delegation"). Which form the
 * ranges take depends on the endpoint, as on mainnet (icp-js-core
 * packages/core/src/agent/certificate.ts `lookupCanisterRanges`): the sharded
 * `/canister_ranges/<sid>/<shard>` for `/api/v4/.../call` and `/api/v3/.../read_state`, the legacy
 * `/subnet/<sid>/canister_ranges` for v2/v3 calls and v2 read_state.
 *
 * Without delegation one subnet signs with the root key itself and covers every canister id, as a
 * single-subnet local replica does.
 */
import { Principal } from '@icp-sdk/core/principal'
import { encode } from '@dfinity/cbor'
import type { Clock } from '../contracts.js'
import { encodeCbor } from '../crypto/cbor.js'
import { encodeLeb128 } from '../crypto/hash.js'
import { StateLeaf, StateLevel, type HashTree, type StateNode } from '../crypto/hash-tree.js'
import { NodeKey, RootKey } from '../crypto/keys.js'
import { canisterIdFromIndex } from '../replica/ids.js'

/** Mainnet's routing table gives subnets canister ids in blocks of 2^20. */
export const SUBNET_RANGE_SIZE = 1n << 20n
/** Mainnet re-certifies delegations every few minutes; clients accept them for 30 days. */
const DELEGATION_REFRESH_NS = 5n * 60n * 1_000_000_000n

export type RangesForm = 'sharded' | 'legacy'

export interface Subnet {
  /** 0-based position; `createCanister({ subnet })` picks by it. */
  readonly index: number
  readonly id: Principal
  /** Signs this subnet's certificates (the root key itself without delegation). */
  readonly key: RootKey
  /** Signs this subnet's query responses. */
  readonly nodeKey: NodeKey
  /** The subnet's one canister range, inclusive. */
  readonly range: { readonly start: Principal; readonly end: Principal }
  /** Index (the 8-byte big-endian part of the id) of the first canister id in the range. */
  readonly firstIndex: bigint
}

export interface TopologyOptions {
  seed: string
  rootKey: RootKey
  /** Default true. */
  delegation: boolean
  /** Default 1; more than one needs delegation. */
  subnets: number
}

export class Topology {
  readonly subnets: readonly Subnet[]
  /**
   * The root (NNS) subnet: it signs with the root key itself, without delegation, as mainnet's NNS
   * does. It holds no canisters here; it only answers `provisional_create_canister_with_cycles`
   * sent to `aaaaa-aa` (see the server), so its range is empty.
   */
  readonly nns: Subnet
  private readonly delegations = new Map<string, { bytes: Uint8Array; timeNs: bigint }>()

  private constructor(
    readonly rootKey: RootKey,
    readonly delegation: boolean,
    subnets: Subnet[],
    seed: string
  ) {
    this.subnets = subnets
    const nothing = Principal.managementCanister()
    this.nns = delegation
      ? { index: -1, id: Principal.selfAuthenticating(rootKey.der), key: rootKey, nodeKey: new NodeKey(`${seed}/nns`), range: { start: nothing, end: nothing }, firstIndex: 0n }
      : (subnets[0] as Subnet)
  }

  static async create({ seed, rootKey, delegation, subnets: count }: TopologyOptions): Promise<Topology> {
    if (!Number.isInteger(count) || count < 1 || count > 16) throw new RangeError(`subnets must be a whole number from 1 to 16, got ${count}`)
    if (!delegation && count > 1) throw new RangeError('several subnets need delegation: each subnet signs with its own key, delegated by the root key')
    if (!delegation) {
      // Node key seeded as before delegation existed, so pinned node ids stay valid.
      const whole = { start: canisterIdFromIndex(0n), end: canisterIdFromIndex(0xffff_ffff_ffff_ffffn) }
      return new Topology(
        rootKey,
        false,
        [{ index: 0, id: Principal.selfAuthenticating(rootKey.der), key: rootKey, nodeKey: new NodeKey(seed), range: whole, firstIndex: 0n }],
        seed
      )
    }
    const subnets: Subnet[] = []
    for (let index = 0; index < count; index++) {
      const key = new RootKey(`${seed}/subnet/${index}`)
      await key.preferWasm()
      const firstIndex = BigInt(index) * SUBNET_RANGE_SIZE
      subnets.push({
        index,
        id: Principal.selfAuthenticating(key.der),
        key,
        nodeKey: new NodeKey(index === 0 ? seed : `${seed}/subnet/${index}`),
        range: { start: canisterIdFromIndex(firstIndex), end: canisterIdFromIndex(firstIndex + SUBNET_RANGE_SIZE - 1n) },
        firstIndex
      })
    }
    return new Topology(rootKey, true, subnets, seed)
  }

  /** The subnet whose range holds `id`; undefined for the management canister and ids outside every range. */
  subnetOf(id: Principal): Subnet | undefined {
    if (id.toUint8Array().length === 0) return undefined
    return this.subnets.find((s) => s.range.start.compareTo(id) !== 'gt' && s.range.end.compareTo(id) !== 'lt')
  }

  subnetById(id: Principal): Subnet | undefined {
    return this.subnets.find((s) => s.id.compareTo(id) === 'eq')
  }

  /**
   * `{ subnet_id, certificate }` for the subnet's certificates, or undefined without delegation. The
   * root-signed certificate is kept and re-signed every few minutes, or when the clock moved back
   * past it (a certificate from the future fails the clients' time check).
   */
  delegationFor(subnet: Subnet, form: RangesForm, clock: Clock): { subnet_id: Uint8Array; certificate: Uint8Array } | undefined {
    if (!this.delegation || subnet === this.nns) return undefined
    const key = `${subnet.index}/${form}`
    const now = clock.nowNs()
    let cached = this.delegations.get(key)
    if (cached === undefined || now < cached.timeNs || now - cached.timeNs > DELEGATION_REFRESH_NS) {
      cached = { bytes: this.signDelegation(subnet, form, now), timeNs: now }
      this.delegations.set(key, cached)
    }
    return { subnet_id: subnet.id.toUint8Array(), certificate: cached.bytes }
  }

  /**
   * The NNS's view: every subnet's key and ranges, in one form only, so a client reading the other
   * form finds nothing (as against mainnet) instead of passing by luck. The witness keeps this
   * subnet's entries and prunes the others'.
   */
  private signDelegation(subnet: Subnet, form: RangesForm, timeNs: bigint): Uint8Array {
    const subnetEntries = this.subnets.map((s) => {
      const children: [string, StateNode][] = [['public_key', new StateLeaf(s.key.der)]]
      if (form === 'legacy') children.push(['canister_ranges', new StateLeaf(rangesCbor(s))])
      return [s.id.toUint8Array(), StateLevel.of(children)] as const
    })
    const top: [string, StateNode][] = [
      ['subnet', StateLevel.of(subnetEntries)],
      ['time', new StateLeaf(encodeLeb128(timeNs))]
    ]
    if (form === 'sharded') {
      // One shard per subnet, labelled with the first canister id it covers.
      const shards = this.subnets.map((s) => [s.id.toUint8Array(), StateLevel.of([[s.range.start.toUint8Array(), new StateLeaf(rangesCbor(s))]])] as const)
      top.push(['canister_ranges', StateLevel.of(shards)])
    }
    const root = StateLevel.of(top)
    const sid = subnet.id.toUint8Array()
    const paths: Uint8Array[][] = [[utf8('subnet'), sid], [utf8('time')]]
    if (form === 'sharded') paths.push([utf8('canister_ranges'), sid])
    const tree: HashTree = root.witness(paths)
    return encodeCbor({ tree, signature: this.rootKey.signRootHash(root.hash) })
  }
}

/** CBOR `[[start, end]]`, the value of a ranges leaf in either form. */
export function rangesCbor(subnet: Subnet): Uint8Array {
  return encode([[subnet.range.start.toUint8Array(), subnet.range.end.toUint8Array()]])
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}
