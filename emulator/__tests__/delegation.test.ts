/**
 * Delegated certificates and mainnet routing: every certificate is signed by its subnet's key and
 * carries a root-signed delegation with the subnet's ranges in the form its endpoint uses; the JS
 * agent accepts them, and refuses one whose ranges exclude the canister. Two subnets: ids from each
 * range, cross-subnet management calls refused as the replica does, unroutable ids answered as the
 * boundary node does.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { Actor, Certificate, HttpAgent, lookupResultToBuffer, LookupSubtreeStatus } from '@icp-sdk/core/agent'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import { counterIdl, loadCanisterModule, type CounterService } from '../canisters/index.js'
import { decodeCbor } from '../src/crypto/cbor.js'
import { Emulator } from '../src/index.js'
import { callContent, post, readStateContent, signedEnvelope } from './helpers/raw-requests.js'

const identity = Ed25519KeyIdentity.generate()
const me = identity.getPrincipal()
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

let net: Emulator
let agent: HttpAgent
let counterV1: Uint8Array
let onFirst: Principal
let onSecond: Principal

beforeAll(async () => {
  net = await Emulator.start({ seed: 'delegation-test', subnets: 2 })
  agent = await HttpAgent.create({ host: net.url, identity, rootKey: net.rootKey })
  counterV1 = await loadCanisterModule('counter_v1')
  onFirst = await net.createCanister({ controllers: [me], wasmModule: counterV1 })
  onSecond = await net.createCanister({ controllers: [me], wasmModule: counterV1, subnet: 1 })
})

afterAll(async () => {
  await net.close()
})

interface DelegatedCertificate {
  tree: unknown
  signature: Uint8Array
  delegation?: { subnet_id: Uint8Array; certificate: Uint8Array }
}

function counter(canisterId: Principal): CounterService {
  return Actor.createActor<CounterService>(counterIdl, { agent, canisterId })
}

async function readState(version: 2 | 3, ecid: Principal, paths: Uint8Array[][]): Promise<{ status: number; text: string; certificate?: Uint8Array; headers?: Headers }> {
  const envelope = await signedEnvelope(identity, readStateContent(identity, paths))
  const response = await fetch(`${net.url}/api/v${version}/canister/${ecid.toText()}/read_state`, { method: 'POST', body: envelope.body, headers: { 'content-type': 'application/cbor' } })
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (response.status !== 200) return { status: response.status, text: new TextDecoder().decode(bytes), headers: response.headers }
  return { status: 200, text: '', certificate: (decodeCbor(bytes) as { certificate: Uint8Array }).certificate }
}

/** The delegation's own certificate, verified by the agent against the root key. */
async function delegationOf(certificate: Uint8Array): Promise<{ subnetId: Principal; cert: Certificate }> {
  const { delegation } = decodeCbor(certificate) as DelegatedCertificate
  if (delegation === undefined) throw new Error('the certificate carries no delegation')
  const subnetId = Principal.fromUint8Array(delegation.subnet_id)
  const cert = await Certificate.create({ certificate: delegation.certificate, rootKey: net.rootKey, principal: { subnetId } })
  return { subnetId, cert }
}

describe('delegated certificates', () => {
  it('signs with the subnet key and carries a delegation whose key and ranges are certified by the root key', async () => {
    const read = await readState(3, onFirst, [[text('time')]])
    expect(read.status).toBe(200)
    const certificate = read.certificate as Uint8Array
    // The agent's full check: delegation signature, ranges holding the canister, subnet signature.
    await expect(Certificate.create({ certificate, rootKey: net.rootKey, principal: { canisterId: onFirst } })).resolves.toBeInstanceOf(Certificate)
    const { subnetId, cert } = await delegationOf(certificate)
    expect(subnetId.toText()).toBe(net.subnetId.toText())
    const key = lookupResultToBuffer(cert.lookup_path(['subnet', subnetId.toUint8Array(), 'public_key']))
    expect(hex(key ?? new Uint8Array())).toBe(hex(net.subnets[0]?.key.der ?? new Uint8Array([1])))
    expect(hex(key ?? new Uint8Array())).not.toBe(net.rootKeyHex)
  })

  it('publishes sharded ranges for v3 read_state and v4 calls, legacy ranges for v2 read_state and v3 calls', async () => {
    const sid = net.subnetId.toUint8Array()
    const sharded = await delegationOf((await readState(3, onFirst, [[text('time')]])).certificate as Uint8Array)
    const shards = sharded.cert.lookup_subtree(['canister_ranges', sid])
    expect(shards.status).toBe(LookupSubtreeStatus.Found)
    const shard = lookupResultToBuffer(sharded.cert.lookup_path(['canister_ranges', sid, net.subnets[0]?.range.start.toUint8Array() ?? new Uint8Array()]))
    expect((decodeCbor(shard ?? new Uint8Array()) as Uint8Array[][]).map((r) => r.map(hex))).toEqual([['00000000000000000101', '00000000000fffff0101']])
    expect(lookupResultToBuffer(sharded.cert.lookup_path(['subnet', sid, 'canister_ranges']))).toBeUndefined()

    const legacy = await delegationOf((await readState(2, onFirst, [[text('time')]])).certificate as Uint8Array)
    expect(legacy.cert.lookup_subtree(['canister_ranges', sid]).status).not.toBe(LookupSubtreeStatus.Found)
    const ranges = lookupResultToBuffer(legacy.cert.lookup_path(['subnet', sid, 'canister_ranges']))
    expect((decodeCbor(ranges ?? new Uint8Array()) as Uint8Array[][]).map((r) => r.map(hex))).toEqual([['00000000000000000101', '00000000000fffff0101']])

    for (const [version, form] of [
      [4, 'sharded'],
      [3, 'legacy']
    ] as const) {
      const envelope = await signedEnvelope(identity, callContent(identity, onFirst, 'inc'))
      const answer = await post(`${net.url}/api/v${version}/canister/${onFirst.toText()}/call`, envelope.body)
      expect(answer.status).toBe(200)
      const { cert } = await delegationOf(answer.cbor().certificate as Uint8Array)
      const hasSharded = cert.lookup_subtree(['canister_ranges', sid]).status === LookupSubtreeStatus.Found
      expect(hasSharded ? 'sharded' : 'legacy').toBe(form)
    }
  })

  it("is refused by the agent when the delegation's ranges exclude the effective canister", async () => {
    // A genuine certificate of the second subnet, presented as speaking for a canister of the first.
    const certificate = (await readState(3, onSecond, [[text('time')]])).certificate as Uint8Array
    await expect(Certificate.create({ certificate, rootKey: net.rootKey, principal: { canisterId: onSecond } })).resolves.toBeInstanceOf(Certificate)
    await expect(Certificate.create({ certificate, rootKey: net.rootKey, principal: { canisterId: onFirst } })).rejects.toThrow(/does not include the canister/)
    const legacy = (await readState(2, onSecond, [[text('time')]])).certificate as Uint8Array
    await expect(Certificate.create({ certificate: legacy, rootKey: net.rootKey, principal: { canisterId: onFirst } })).rejects.toThrow(/does not include the canister/)
  })

  it('is accepted by the agent for updates and signature-checked queries on both subnets', async () => {
    for (const id of [onFirst, onSecond]) {
      const actor = counter(id)
      const before = await actor.get()
      expect(await actor.inc()).toBe(before + 1n)
      expect(await actor.get()).toBe(before + 1n)
    }
  })

  it('can be turned off: one subnet signing with the root key over every canister id', async () => {
    const plain = await Emulator.start({ seed: 'delegation-test-off', delegation: false })
    try {
      expect(plain.subnetId.toText()).toBe(Principal.selfAuthenticating(plain.rootKey).toText())
      const far = Principal.fromUint8Array(new Uint8Array([0, 0, 0, 0, 0x40, 0, 0, 0, 1, 1]))
      expect(plain.subnetOf(far)?.index).toBe(0)
      const id = await plain.createCanister({ controllers: [me], wasmModule: counterV1 })
      const plainAgent = await HttpAgent.create({ host: plain.url, identity, rootKey: plain.rootKey })
      expect(await Actor.createActor<CounterService>(counterIdl, { agent: plainAgent, canisterId: id }).inc()).toBe(1n)
      const envelope = await signedEnvelope(identity, readStateContent(identity, [[text('time')]]))
      const answer = await post(`${plain.url}/api/v3/canister/${id.toText()}/read_state`, envelope.body)
      expect((decodeCbor(answer.cbor().certificate as Uint8Array) as DelegatedCertificate).delegation).toBeUndefined()
    } finally {
      await plain.close()
    }
  })
})

describe('routing like mainnet', () => {
  it('allocates canister ids from each subnet range and says which subnet holds an id', () => {
    expect(net.subnets).toHaveLength(2)
    expect(net.subnetOf(onFirst)?.index).toBe(0)
    expect(net.subnetOf(onSecond)?.index).toBe(1)
    expect(hex(onSecond.toUint8Array())).toBe('00000000001000000101')
    expect(net.subnets[1]?.id.toText()).not.toBe(net.subnets[0]?.id.toText())
    expect(net.subnetOf(Principal.managementCanister())).toBeUndefined()
  })

  it('refuses a management call routed to a subnet that does not hold its canister, as that subnet\'s ingress filter does', async () => {
    const arg = IDL.encode([IDL.Record({ canister_id: IDL.Principal })], [{ canister_id: onSecond }])
    const misrouted = await agent.call(Principal.managementCanister(), { methodName: 'canister_status', arg, effectiveCanisterId: onFirst })
    expect(misrouted.response.body).toMatchObject({ status: 'non_replicated_rejection', reject_code: 3, error_code: 'IC0301' })
    expect((misrouted.response.body as { reject_message: string }).reject_message).toMatch(new RegExp(`^Canister ${onSecond.toText()} not found`))
    // Routed to the subnet that holds it, the same call is accepted.
    const routed = await agent.call(Principal.managementCanister(), { methodName: 'canister_status', arg, effectiveCanisterId: onSecond })
    expect(routed.response.body).toMatchObject({ status: 'replied' })
  })

  it('answers a canister_status query routed to the wrong subnet as that subnet does: not found there', async () => {
    const arg = IDL.encode([IDL.Record({ canister_id: IDL.Principal })], [{ canister_id: onSecond }])
    const misrouted = await agent.query(Principal.managementCanister(), { methodName: 'canister_status', arg, effectiveCanisterId: onFirst })
    expect(misrouted).toMatchObject({ status: 'rejected', error_code: 'IC0301' })
    const routed = await agent.query(Principal.managementCanister(), { methodName: 'canister_status', arg, effectiveCanisterId: onSecond })
    expect(routed.status).toBe('replied')
  })

  it("answers an id outside every subnet, and aaaaa-aa, with the boundary node's canister_not_found", async () => {
    const outside = Principal.fromUint8Array(new Uint8Array([0, 0, 0, 0, 0x40, 0, 0, 0, 1, 1]))
    expect(net.subnetOf(outside)).toBeUndefined()
    for (const ecid of [outside, Principal.managementCanister()]) {
      for (const version of [2, 3] as const) {
        const read = await readState(version, ecid, [[text('time')]])
        expect(read.status).toBe(400)
        expect(read.text).toBe('error: canister_not_found\ndetails: The specified canister does not exist.')
        expect(read.headers?.get('x-ic-error-cause')).toBe('canister_not_found')
      }
      const envelope = await signedEnvelope(identity, callContent(identity, Principal.managementCanister(), 'canister_status'))
      const call = await post(`${net.url}/api/v4/canister/${ecid.toText()}/call`, envelope.body)
      expect(call.status).toBe(400)
      expect(call.text).toContain('canister_not_found')
    }
  })
})
