/**
 * The wire layer on its own, over real HTTP on 127.0.0.1 with a small in-test replica: routing,
 * envelope validation, idempotency, 200-vs-202, certificates and pruning, query signatures and
 * HTTP fault injection, checked with the real JS agent where it applies.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { Actor, AnonymousIdentity, Certificate, CanisterStatus, HttpAgent, lookupResultToBuffer, LookupPathStatus } from '@icp-sdk/core/agent'
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1'
import { Principal } from '@icp-sdk/core/principal'
import { SystemClock } from '../src/clock.js'
import { decodeCbor } from '../src/crypto/cbor.js'
import { toHex } from '../src/crypto/hash.js'
import { startNetwork, type IcNetwork } from '../src/http/network.js'
import { COUNTER_ID, counterIdl, FakeReplica } from './helpers/fake-replica.js'
import { callContent, post, readStateContent, signedEnvelope } from './helpers/raw-requests.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const identity = Ed25519KeyIdentity.generate()
const replica = new FakeReplica(identity.getPrincipal())
const clock = new SystemClock()
let net: IcNetwork

beforeAll(async () => {
  net = await startNetwork({ replica, clock, seed: 'http-test', syncCallTimeoutMs: 300 })
})

afterAll(async () => {
  replica.release()
  await net.close()
})

afterEach(() => {
  net.faults.clear()
  clock.skew(0)
})

interface Counter {
  inc(): Promise<bigint>
  slow(): Promise<bigint>
  fail(): Promise<void>
  read(): Promise<bigint>
  boom(): Promise<bigint>
}

async function counter(options: { fetchRootKey?: boolean; fetch?: typeof fetch } = {}): Promise<Counter> {
  const agent = await HttpAgent.create({
    host: net.url,
    identity,
    ...(options.fetchRootKey === true ? { shouldFetchRootKey: true } : { rootKey: net.rootKey }),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    retryTimes: 0
  })
  return Actor.createActor<Counter>(counterIdl, { agent, canisterId: COUNTER_ID })
}

async function certificateOf(bytes: Uint8Array, ecid: Principal): Promise<Certificate> {
  return Certificate.create({ certificate: bytes, rootKey: net.rootKey, principal: { canisterId: ecid } })
}

describe('status and routing', () => {
  it('serves /api/v2/status with the 133-byte root key as a CBOR byte string', async () => {
    const response = await fetch(`${net.url}/api/v2/status`)
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/cbor')
    expect(toHex(bytes.subarray(0, 3))).toBe('d9d9f7')
    const status = decodeCbor(bytes) as Record<string, unknown>
    expect(status.root_key).toBeInstanceOf(Uint8Array)
    expect(toHex(status.root_key as Uint8Array)).toBe(net.rootKeyHex)
    expect(status.replica_health_status).toBe('healthy')
  })

  it('gives the delegated subnet an id and key of its own, not the root key', () => {
    const [subnet] = net.topology.subnets
    expect(net.subnetId.toText()).toBe(subnet?.id.toText())
    expect(net.subnetId.toText()).not.toBe(Principal.selfAuthenticating(net.rootKey).toText())
    expect(toHex(subnet?.key.der ?? new Uint8Array())).not.toBe(net.rootKeyHex)
    expect(net.rootKey).toHaveLength(133)
  })

  it('answers unknown routes with a 404 that names the route', async () => {
    const response = await fetch(`${net.url}/api/v9/canister/${COUNTER_ID.toText()}/call`, { method: 'POST', body: new Uint8Array() })
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await response.text()).toContain(`POST /api/v9/canister/${COUNTER_ID.toText()}/call`)
    expect((await fetch(`${net.url}/api/v4/canister/${COUNTER_ID.toText()}/query`, { method: 'POST' })).status).toBe(404)
  })

  it('refuses a body over the size limit with a 413', async () => {
    const response = await post(`${net.url}/api/v3/canister/${COUNTER_ID.toText()}/call`, new Uint8Array(6 * 1024 * 1024))
    expect(response.status).toBe(413)
    expect(response.text).toMatch(/^Request body too large: /)
  })

  it('refuses a body that is not CBOR with a 400', async () => {
    const response = await post(`${net.url}/api/v3/canister/${COUNTER_ID.toText()}/call`, text('not cbor'))
    expect(response.status).toBe(400)
    expect(response.text).toMatch(/^Could not parse body as call message: /)
  })
})

describe('the JS agent with default verification', () => {
  it('makes an update and a signature-verified query with a pinned root key', async () => {
    const actor = await counter()
    const before = await actor.read()
    expect(await actor.inc()).toBe(before + 1n)
    expect(await actor.read()).toBe(before + 1n)
  })

  it('fetches the root key from /api/v2/status when asked to', async () => {
    const actor = await counter({ fetchRootKey: true })
    const before = await actor.read()
    expect(await actor.inc()).toBe(before + 1n)
  })

  it('works for a secp256k1 identity and for the anonymous identity', async () => {
    for (const id of [Secp256k1KeyIdentity.generate(), new AnonymousIdentity()]) {
      const agent = await HttpAgent.create({ host: net.url, identity: id, rootKey: net.rootKey, retryTimes: 0 })
      const actor = Actor.createActor<Counter>(counterIdl, { agent, canisterId: COUNTER_ID })
      const before = await actor.read()
      expect(await actor.inc()).toBe(before + 1n)
    }
  })

  it('reports certified rejects and signed query rejects with their codes', async () => {
    const actor = await counter()
    await expect(actor.fail()).rejects.toThrow(/IC0406/)
    await expect(actor.boom()).rejects.toThrow(/IC0503/)
  })

  it('refuses query replies whose node signature was removed', async () => {
    const stripping: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(input instanceof Request ? input.url : input).endsWith('/query')) return response
      const body = decodeCbor(new Uint8Array(await response.arrayBuffer())) as Record<string, unknown>
      delete body.signatures
      const { encodeCbor } = await import('../src/crypto/cbor.js')
      return new Response(encodeCbor(body), { status: 200, headers: { 'content-type': 'application/cbor' } })
    }
    const actor = await counter({ fetch: stripping })
    await expect(actor.read()).rejects.toThrow(/signature/i)
  })

  it('reads controllers, module hash, candid and time through CanisterStatus', async () => {
    const agent = await HttpAgent.create({ host: net.url, identity, rootKey: net.rootKey })
    const status = await CanisterStatus.request({ canisterId: COUNTER_ID, agent, paths: ['controllers', 'module_hash', 'candid', 'time'] })
    expect((status.get('controllers') as Principal[]).map((p) => p.toText())).toEqual([identity.getPrincipal().toText()])
    expect(status.get('module_hash')).toMatch(/^[0-9a-f]{64}$/)
    expect(status.get('candid')).toContain('service')
    expect(Math.abs(Number((status.get('time') as Date).getTime()) - Date.now())).toBeLessThan(60_000)
  })
})

describe('calls', () => {
  const callUrl = (v: number): string => `${net.url}/api/v${v}/canister/${COUNTER_ID.toText()}/call`

  it('executes a resent identical call once and answers both with the same result', async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
    const executionsBefore = replica.executions
    const first = await post(callUrl(4), envelope.body)
    const second = await post(callUrl(4), envelope.body)
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect(replica.executions).toBe(executionsBefore + 1)
    for (const response of [first, second]) {
      const body = response.cbor()
      expect(body.status).toBe('replied')
      const cert = await certificateOf(body.certificate as Uint8Array, COUNTER_ID)
      const status = lookupResultToBuffer(cert.lookup_path(['request_status', envelope.requestId, 'status']))
      expect(new TextDecoder().decode(status)).toBe('replied')
    }
  })

  it('answers v2 calls with 202 and makes the result readable through read_state', async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
    const response = await post(callUrl(2), envelope.body)
    expect(response.status).toBe(202)
    const deadline = Date.now() + 10_000
    let status = ''
    while (status !== 'replied' && Date.now() < deadline) {
      const read = await signedEnvelope(identity, readStateContent(identity, [[text('request_status'), envelope.requestId]]))
      const answer = await post(`${net.url}/api/v2/canister/${COUNTER_ID.toText()}/read_state`, read.body)
      const cert = await certificateOf(answer.cbor().certificate as Uint8Array, COUNTER_ID)
      status = new TextDecoder().decode(lookupResultToBuffer(cert.lookup_path(['request_status', envelope.requestId, 'status'])))
    }
    expect(status).toBe('replied')
  })

  it('answers 202 while a call runs long, certifies it as processing, then as replied', async () => {
    replica.holdSlowCalls()
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'slow'))
    const first = await post(callUrl(3), envelope.body)
    expect(first.status).toBe(202)
    const read = await signedEnvelope(identity, readStateContent(identity, [[text('request_status'), envelope.requestId]]))
    const pending = await post(`${net.url}/api/v3/canister/${COUNTER_ID.toText()}/read_state`, read.body)
    const cert = await certificateOf(pending.cbor().certificate as Uint8Array, COUNTER_ID)
    expect(new TextDecoder().decode(lookupResultToBuffer(cert.lookup_path(['request_status', envelope.requestId, 'status'])))).toBe('processing')
    replica.release()
    const resent = await post(callUrl(3), envelope.body)
    expect(resent.status).toBe(200)
    expect(resent.cbor().status).toBe('replied')
  })

  it('proves an unknown request id absent', async () => {
    // All zeros: agent-js compares labels bytewise-any rather than lexicographically, so only ids
    // its comparison orders correctly can show the (spec-correct) absence proof through it.
    const unknown = new Uint8Array(32)
    const read = await signedEnvelope(identity, readStateContent(identity, [[text('request_status'), unknown]]))
    const answer = await post(`${net.url}/api/v3/canister/${COUNTER_ID.toText()}/read_state`, read.body)
    const cert = await certificateOf(answer.cbor().certificate as Uint8Array, COUNTER_ID)
    expect(cert.lookup_path(['request_status', unknown, 'status']).status).toBe(LookupPathStatus.Absent)
    expect(cert.lookup_path(['time']).status).toBe(LookupPathStatus.Found)
  })

  it('rejects a call to a missing canister before execution, with a 200 non-replicated rejection', async () => {
    const missing = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai')
    const envelope = await signedEnvelope(identity, callContent(identity, missing, 'inc'))
    const executionsBefore = replica.executions
    const response = await post(`${net.url}/api/v4/canister/${missing.toText()}/call`, envelope.body)
    expect(response.status).toBe(200)
    expect(response.cbor()).toEqual({ status: 'non_replicated_rejection', reject_code: 3, reject_message: `Canister ${missing.toText()} not found.`, error_code: 'IC0301' })
    expect(replica.executions).toBe(executionsBefore)
  })
})

describe('request validation', () => {
  const url = (): string => `${net.url}/api/v3/canister/${COUNTER_ID.toText()}/call`

  it('refuses a bad signature with a 400', async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'), true)
    const response = await post(url(), envelope.body)
    expect(response.status).toBe(400)
    expect(response.text).toMatch(/^Invalid signature: /)
  })

  it('refuses an expired request with the replica wording agents key on', async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc', { expiryNs: BigInt(Date.now() - 60_000) * 1_000_000n }))
    const response = await post(url(), envelope.body)
    expect(response.status).toBe(400)
    expect(response.text).toMatch(/^Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: .+ UTC, Maximum allowed expiry: .+ UTC, Provided expiry: .+ UTC$/)
  })

  it('refuses an expiry too far ahead, and a clock skewed past the client expiry', async () => {
    const far = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc', { expiryNs: BigInt(Date.now() + 10 * 60_000) * 1_000_000n }))
    expect((await post(url(), far.body)).status).toBe(400)
    clock.skew(10 * 60_000)
    const normal = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
    const response = await post(url(), normal.body)
    expect(response.status).toBe(400)
    expect(response.text).toMatch(/^Invalid request expiry: /)
  })

  it('lets the agent recover from a skewed network clock by syncing its time', async () => {
    clock.skew(10 * 60_000)
    const agent = await HttpAgent.create({ host: net.url, identity, rootKey: net.rootKey })
    const actor = Actor.createActor<Counter>(counterIdl, { agent, canisterId: COUNTER_ID })
    const before = replica.counter
    expect(await actor.inc()).toBe(before + 1n)
  })

  it('refuses a nonce longer than 32 bytes', async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc', { nonce: new Uint8Array(33) }))
    const response = await post(url(), envelope.body)
    expect(response.status).toBe(400)
    expect(response.text).toBe('Nonce in request is too big: got 33 bytes, but can be at most 32 bytes')
  })

  it('refuses a call whose URL names another canister', async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
    const other = 'ryjl3-tyaaa-aaaaa-aaaba-cai'
    const response = await post(`${net.url}/api/v3/canister/${other}/call`, envelope.body)
    expect(response.status).toBe(400)
    expect(response.text).toBe(`Specified CanisterId ${COUNTER_ID.toText()} does not match effective canister id in URL ${other}`)
  })

  it("refuses to show a request's status to another sender", async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
    expect((await post(url(), envelope.body)).status).toBe(200)
    const stranger = Ed25519KeyIdentity.generate()
    const read = await signedEnvelope(stranger, readStateContent(stranger, [[text('request_status'), envelope.requestId]]))
    const response = await post(`${net.url}/api/v3/canister/${COUNTER_ID.toText()}/read_state`, read.body)
    expect(response.status).toBe(403)
  })
})

describe('onCall', () => {
  it('reports each executed update call once, a resent request not again, and a reject with its code', async () => {
    const seen: { method: string; canister: string; ecid: string; rejectCode?: number }[] = []
    const observed = await startNetwork({
      replica,
      clock,
      seed: 'http-test',
      onCall: (call) => seen.push({ method: call.methodName, canister: call.canisterId.toText(), ecid: call.effectiveCanisterId.toText(), ...(call.rejectCode === undefined ? {} : { rejectCode: call.rejectCode }) })
    })
    try {
      const url = `${observed.url}/api/v3/canister/${COUNTER_ID.toText()}/call`
      const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
      expect((await post(url, envelope.body)).status).toBe(200)
      expect((await post(url, envelope.body)).status).toBe(200)
      expect((await post(url, (await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'fail'))).body)).status).toBe(200)
      const id = COUNTER_ID.toText()
      expect(seen).toEqual([
        { method: 'inc', canister: id, ecid: id },
        { method: 'fail', canister: id, ecid: id, rejectCode: 4 }
      ])
    } finally {
      await observed.close()
    }
  })
})

describe('HTTP fault injection', () => {
  it('fails the next matching requests with 503 or 429, then serves normally', async () => {
    net.faults.failNext({ endpoint: 'call', method: 'inc', mode: 503, count: 2 })
    expect(net.faults.pending()).toBe(2)
    const url = `${net.url}/api/v3/canister/${COUNTER_ID.toText()}/call`
    const a = await post(url, (await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))).body)
    const b = await post(url, (await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))).body)
    const c = await post(url, (await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))).body)
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200])
    expect(net.faults.pending()).toBe(0)
    net.faults.failNext({ endpoint: 'status', mode: 429 })
    expect((await fetch(`${net.url}/api/v2/status`)).status).toBe(429)
    expect((await fetch(`${net.url}/api/v2/status`)).status).toBe(200)
  })

  it('resets the connection or leaves it unanswered', async () => {
    net.faults.failNext({ endpoint: 'status', mode: 'reset' })
    await expect(fetch(`${net.url}/api/v2/status`)).rejects.toThrow()
    net.faults.failNext({ endpoint: 'status', mode: 'hang' })
    await expect(fetch(`${net.url}/api/v2/status`, { signal: AbortSignal.timeout(300) })).rejects.toThrow()
  })

  it('executes a call but drops its response; the resend gets the result without executing again', async () => {
    net.faults.dropResponse({ method: 'inc' })
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
    const url = `${net.url}/api/v3/canister/${COUNTER_ID.toText()}/call`
    const before = replica.executions
    await expect(post(url, envelope.body)).rejects.toThrow()
    expect(replica.executions).toBe(before + 1)
    const resent = await post(url, envelope.body)
    expect(resent.status).toBe(200)
    expect(replica.executions).toBe(before + 1)
  })

  it('lets the agent recover from a dropped response without a second execution', async () => {
    const actor = await counter()
    const before = replica.executions
    const value = await actor.read()
    net.faults.failNext({ endpoint: 'call', method: 'inc', mode: 503 })
    const agent = await HttpAgent.create({ host: net.url, identity, rootKey: net.rootKey, retryTimes: 3 })
    const retrying = Actor.createActor<Counter>(counterIdl, { agent, canisterId: COUNTER_ID })
    expect(await retrying.inc()).toBe(value + 1n)
    expect(replica.executions).toBe(before + 1)
  })
})

describe('delegations', () => {
  async function delegatedCounter(expiration: Date, targets?: Principal[]): Promise<Counter> {
    const session = Ed25519KeyIdentity.generate()
    const chain = await DelegationChain.create(identity, session.getPublicKey(), expiration, targets === undefined ? undefined : { targets })
    const delegated = DelegationIdentity.fromDelegation(session, chain)
    const agent = await HttpAgent.create({ host: net.url, identity: delegated, rootKey: net.rootKey, retryTimes: 0 })
    return Actor.createActor<Counter>(counterIdl, { agent, canisterId: COUNTER_ID })
  }

  it('accepts a valid delegation chain, signed for the delegating principal', async () => {
    const actor = await delegatedCounter(new Date(Date.now() + 60_000), [COUNTER_ID])
    const before = await actor.read()
    expect(await actor.inc()).toBe(before + 1n)
  })

  it('refuses an expired delegation and one for other canisters with a 400', async () => {
    await expect((await delegatedCounter(new Date(Date.now() - 60_000))).inc()).rejects.toThrow(/400[\s\S]*Invalid delegation/)
    const elsewhere = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai')
    await expect((await delegatedCounter(new Date(Date.now() + 60_000), [elsewhere])).inc()).rejects.toThrow(/400[\s\S]*not one of the delegation targets/)
  })
})

describe('subnet read_state', () => {
  it('certifies the subnet public key, canister ranges and node key', async () => {
    const [subnet] = net.topology.subnets
    const read = await signedEnvelope(identity, readStateContent(identity, [[text('subnet')]]))
    const answer = await post(`${net.url}/api/v3/subnet/${net.subnetId.toText()}/read_state`, read.body)
    expect(answer.status).toBe(200)
    const cert = await certificateOf(answer.cbor().certificate as Uint8Array, COUNTER_ID)
    const sid = net.subnetId.toUint8Array()
    expect(toHex(lookupResultToBuffer(cert.lookup_path(['subnet', sid, 'public_key'])) ?? new Uint8Array())).toBe(toHex(subnet?.key.der ?? new Uint8Array()))
    const node = lookupResultToBuffer(cert.lookup_path(['subnet', sid, 'node', net.nodeId.toUint8Array(), 'public_key']))
    expect(node).toHaveLength(44)
    const ranges = decodeCbor(lookupResultToBuffer(cert.lookup_path(['subnet', sid, 'canister_ranges'])) ?? new Uint8Array()) as Uint8Array[][]
    // The first 2^20 canister ids, as one of mainnet's routing-table blocks.
    expect(ranges.map((r) => r.map(toHex))).toEqual([['00000000000000000101', '00000000000fffff0101']])
  })

  it("answers another subnet with the boundary node's subnet_not_found and refuses canister paths there", async () => {
    const read = await signedEnvelope(identity, readStateContent(identity, [[text('time')]]))
    const other = Principal.selfAuthenticating(new Uint8Array([1, 2, 3]))
    const unknown = await post(`${net.url}/api/v3/subnet/${other.toText()}/read_state`, read.body)
    expect(unknown.status).toBe(400)
    expect(unknown.text).toBe('error: subnet_not_found\ndetails: The specified subnet cannot be found.')
    const canister = await signedEnvelope(identity, readStateContent(identity, [[text('canister'), COUNTER_ID.toUint8Array(), text('controllers')]]))
    expect((await post(`${net.url}/api/v3/subnet/${net.subnetId.toText()}/read_state`, canister.body)).status).toBe(404)
  })
})

describe('network model', () => {
  const slowReplica = new FakeReplica(identity.getPrincipal())
  let slowNet: IcNetwork

  beforeAll(async () => {
    slowNet = await startNetwork({ replica: slowReplica, clock, seed: 'http-test-latency', latencyMs: 60_000, syncCallTimeoutMs: 50 })
  })

  afterAll(async () => {
    await slowNet.close()
  })

  it('holds update calls for the latency while queries answer at once', async () => {
    const envelope = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
    expect((await post(`${slowNet.url}/api/v3/canister/${COUNTER_ID.toText()}/call`, envelope.body)).status).toBe(202)
    const read = await signedEnvelope(identity, readStateContent(identity, [[text('request_status'), envelope.requestId]]))
    const answer = await post(`${slowNet.url}/api/v3/canister/${COUNTER_ID.toText()}/read_state`, read.body)
    const cert = await Certificate.create({ certificate: answer.cbor().certificate as Uint8Array, rootKey: slowNet.rootKey, principal: { canisterId: COUNTER_ID } })
    expect(new TextDecoder().decode(lookupResultToBuffer(cert.lookup_path(['request_status', envelope.requestId, 'status'])))).toBe('received')
    expect(slowReplica.executions).toBe(0)
    const agent = await HttpAgent.create({ host: slowNet.url, identity, rootKey: slowNet.rootKey })
    expect(await Actor.createActor<Counter>(counterIdl, { agent, canisterId: COUNTER_ID }).read()).toBe(0n)
  })

  it('queues update calls beyond the in-flight cap', async () => {
    const capped = new FakeReplica(identity.getPrincipal())
    const cappedNet = await startNetwork({ replica: capped, clock, seed: 'http-test-cap', maxInFlightUpdates: 1, syncCallTimeoutMs: 50 })
    try {
      capped.holdSlowCalls()
      const url = `${cappedNet.url}/api/v3/canister/${COUNTER_ID.toText()}/call`
      const slow = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'slow'))
      const queued = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
      expect((await post(url, slow.body)).status).toBe(202)
      expect((await post(url, queued.body)).status).toBe(202)
      expect(capped.executions).toBe(1)
      capped.release()
      const deadline = Date.now() + 10_000
      let answer = await post(url, queued.body)
      while (answer.status === 202 && Date.now() < deadline) answer = await post(url, queued.body)
      expect(answer.status).toBe(200)
      expect(capped.executions).toBe(2)
    } finally {
      capped.release()
      await cappedNet.close()
    }
  })
})

describe('latency model', () => {
  const LATENCY_MS = 300

  /** Sends `count` calls `spacingMs` apart; each one's round trip, signature and send time. */
  async function timedCalls(net: IcNetwork, count: number, spacingMs = 0): Promise<{ ms: number; signature: string; sentAt: number }[]> {
    const url = `${net.url}/api/v3/canister/${COUNTER_ID.toText()}/call`
    const envelopes = await Promise.all(Array.from({ length: count }, async () => signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))))
    return Promise.all(
      envelopes.map(async (envelope, index) => {
        await new Promise((resolve) => setTimeout(resolve, index * spacingMs))
        const sentAt = performance.now()
        const answer = await post(url, envelope.body)
        const ms = performance.now() - sentAt
        expect(answer.status).toBe(200)
        const certificate = decodeCbor(answer.cbor().certificate as Uint8Array) as { signature: Uint8Array }
        return { ms, signature: toHex(certificate.signature), sentAt }
      })
    )
  }

  it('answers a sync call no sooner than its latency, and calls in flight together share certificates', async () => {
    const net = await startNetwork({ replica: new FakeReplica(identity.getPrincipal()), clock, seed: 'http-test-model', latencyMs: LATENCY_MS })
    try {
      const calls = await timedCalls(net, 12, 25)
      for (const call of calls) expect(call.ms).toBeGreaterThanOrEqual(LATENCY_MS - 1)
      // Signatures come at most once per certification window (100 ms at this latency), so calls
      // spread over a span share about span / 100 ms of them (+2 for the edges); one signature per
      // call, as a 20 ms cadence gave, would be 12.
      const span = Math.max(...calls.map((c) => c.sentAt)) - Math.min(...calls.map((c) => c.sentAt))
      expect(new Set(calls.map((c) => c.signature)).size).toBeLessThanOrEqual(Math.ceil(span / 100) + 2)
    } finally {
      await net.close()
    }
  })

  it('holds an in-flight slot for the whole latency', async () => {
    const net = await startNetwork({ replica: new FakeReplica(identity.getPrincipal()), clock, seed: 'http-test-slot', latencyMs: LATENCY_MS, maxInFlightUpdates: 1 })
    try {
      const calls = await timedCalls(net, 2)
      expect(Math.max(...calls.map((c) => c.ms))).toBeGreaterThanOrEqual(2 * LATENCY_MS - 1)
    } finally {
      await net.close()
    }
  })
})

describe('reply retention', () => {
  it('drops the oldest replies beyond the byte budget (status done) and still never re-executes', async () => {
    const small = new FakeReplica(identity.getPrincipal())
    const smallNet = await startNetwork({ replica: small, clock, seed: 'http-test-budget', maxRetainedReplyBytes: 1 })
    try {
      const url = `${smallNet.url}/api/v3/canister/${COUNTER_ID.toText()}/call`
      const first = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
      const second = await signedEnvelope(identity, callContent(identity, COUNTER_ID, 'inc'))
      expect((await post(url, first.body)).status).toBe(200)
      expect((await post(url, second.body)).status).toBe(200)
      const resent = await post(url, first.body)
      expect(resent.status).toBe(200)
      const cert = await Certificate.create({ certificate: resent.cbor().certificate as Uint8Array, rootKey: smallNet.rootKey, principal: { canisterId: COUNTER_ID } })
      expect(new TextDecoder().decode(lookupResultToBuffer(cert.lookup_path(['request_status', first.requestId, 'status'])))).toBe('done')
      expect(cert.lookup_path(['request_status', first.requestId, 'reply']).status).toBe(LookupPathStatus.Absent)
      expect(small.executions).toBe(2)
    } finally {
      await smallNet.close()
    }
  })
})
