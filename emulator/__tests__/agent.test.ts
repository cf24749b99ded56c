/**
 * The JS agent (`@icp-sdk/core` HttpAgent, default settings, query signatures verified) and
 * `IcManagementCanister` against the full emulator over real HTTP: an update, a query, a
 * CanisterStatus read_state, and every management method, checked against the emulator's state.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { Actor, CanisterStatus, Certificate, HttpAgent, lookupResultToBuffer } from '@icp-sdk/core/agent'
import { IDL } from '@icp-sdk/core/candid'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import { Principal } from '@icp-sdk/core/principal'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import { counterIdl, loadCanisterModule, type CounterService } from '../canisters/index.js'
import { Emulator } from '../src/index.js'
import { callContent, post, readStateContent, signedEnvelope } from './helpers/raw-requests.js'

const me = Ed25519KeyIdentity.generate()
const stranger = Ed25519KeyIdentity.generate()
const EMPTY_ARG = new Uint8Array(IDL.encode([], []))
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const CanisterIdArg = IDL.Record({ canister_id: IDL.Principal })
const TakeSnapshotArg = IDL.Record({ canister_id: IDL.Principal, replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)) })
const hex = (bytes: Uint8Array | number[]): string => Buffer.from(Uint8Array.from(bytes)).toString('hex')

let net: Emulator
let agent: HttpAgent
let ic: IcManagementCanister
let counterV1: Uint8Array
let counterV2: Uint8Array

beforeAll(async () => {
  net = await Emulator.start({ seed: 'agent-test', syncCallTimeoutMs: 1_000 })
  agent = await HttpAgent.create({ host: net.url, identity: me, rootKey: net.rootKey })
  ic = IcManagementCanister.create({ agent })
  counterV1 = await loadCanisterModule('counter_v1')
  counterV2 = await loadCanisterModule('counter_v2')
})

afterAll(async () => {
  await net.close()
})

function counterActor(canisterId: Principal, withAgent: HttpAgent = agent): CounterService {
  return Actor.createActor<CounterService>(counterIdl, { agent: withAgent, canisterId })
}

describe('the JS agent with defaults', () => {
  it('makes an update and a verified query on a canister created through the test controls', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const counter = counterActor(canisterId)
    expect(await counter.inc()).toBe(1n)
    expect(await counter.inc()).toBe(2n)
    expect(await counter.get()).toBe(2n)
  })

  it('works with the root key fetched from /api/v2/status', async () => {
    const fetched = await HttpAgent.create({ host: net.url, identity: me, shouldFetchRootKey: true })
    expect(hex(fetched.rootKey as Uint8Array)).toBe(net.rootKeyHex)
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const counter = counterActor(canisterId, fetched)
    expect(await counter.inc()).toBe(1n)
    expect(await counter.get()).toBe(1n)
  })

  it('reads controllers, module hash and time with CanisterStatus', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal(), stranger.getPrincipal()], wasmModule: counterV1 })
    const status = await CanisterStatus.request({ canisterId, agent, paths: ['controllers', 'module_hash', 'time'] })
    const controllers = (status.get('controllers') as Principal[]).map((p) => p.toText()).sort()
    expect(controllers).toEqual([me.getPrincipal().toText(), stranger.getPrincipal().toText()].sort())
    expect(status.get('module_hash')).toBe(sha256Hex(counterV1))
    expect(Math.abs((status.get('time') as Date).getTime() - Date.now())).toBeLessThan(60_000)
  })

  it('reports a missing module hash for an empty canister as absent', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()] })
    const status = await CanisterStatus.request({ canisterId, agent, paths: ['module_hash'] })
    expect(status.get('module_hash')).toBeNull()
  })
})

describe('every management method through IcManagementCanister', () => {
  it('creates, installs, upgrades, reinstalls, configures and reports a canister', async () => {
    const canisterId = await ic.provisionalCreateCanisterWithCycles({ amount: 10_000_000_000_000n, settings: { controllers: [me.getPrincipal().toText()] } })
    expect(net.canister(canisterId)?.status).toBe('running')

    await ic.installCode({ mode: { install: null }, canisterId, wasmModule: counterV1, arg: EMPTY_ARG })
    const counter = counterActor(canisterId)
    expect(await counter.inc()).toBe(1n)
    await ic.installCode({ mode: { upgrade: [] }, canisterId, wasmModule: counterV2, arg: EMPTY_ARG })
    expect(hex(net.canister(canisterId)?.moduleHash ?? [])).toBe(sha256Hex(counterV2))
    await ic.installCode({ mode: { reinstall: null }, canisterId, wasmModule: counterV1, arg: EMPTY_ARG })
    expect(await counter.get()).toBe(0n)

    await ic.updateSettings({ canisterId, settings: { controllers: [me.getPrincipal().toText(), stranger.getPrincipal().toText()] } })
    const status = await ic.canisterStatus({ canisterId })
    expect(Object.keys(status.status)).toEqual(['running'])
    expect(hex(status.module_hash[0] ?? [])).toBe(sha256Hex(counterV1))
    expect(status.settings.controllers.map((p: Principal) => p.toText()).sort()).toEqual([me.getPrincipal().toText(), stranger.getPrincipal().toText()].sort())
    expect(status.cycles).toBe(net.canister(canisterId)?.cycles)

    await ic.uninstallCode({ canisterId })
    expect((await ic.canisterStatus({ canisterId })).module_hash).toEqual([])
    expect(net.canister(canisterId)?.moduleHash).toBeUndefined()
  })

  it('stops, starts and deletes a canister; a deleted canister is not found', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    await ic.stopCanister(canisterId)
    expect(net.canister(canisterId)?.status).toBe('stopped')
    expect(Object.keys((await ic.canisterStatus({ canisterId })).status)).toEqual(['stopped'])
    await ic.startCanister(canisterId)
    expect(net.canister(canisterId)?.status).toBe('running')
    await ic.stopCanister(canisterId)
    await ic.deleteCanister(canisterId)
    expect(net.canister(canisterId)).toBeUndefined()
    await expect(ic.canisterStatus({ canisterId })).rejects.toThrow(/IC0301/)
  })

  it('takes, lists, reads, replaces, loads and deletes snapshots', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const counter = counterActor(canisterId)
    await counter.set(41n)
    await ic.stopCanister(canisterId)
    const first = await ic.takeCanisterSnapshot({ canisterId })
    expect(hex(first.id).endsWith(hex(canisterId.toUint8Array()))).toBe(true)
    const listed = await ic.listCanisterSnapshots({ canisterId })
    expect(listed.map((s: { id: Uint8Array | number[] }) => hex(s.id))).toEqual([hex(first.id)])
    expect(net.canister(canisterId)?.snapshots.map((s) => s.id)).toEqual([hex(first.id)])

    const metadata = await ic.readCanisterSnapshotMetadata({ canisterId, snapshotId: first.id })
    expect(metadata.wasmModuleSize).toBe(BigInt(counterV1.length))
    const module = await ic.readCanisterSnapshotData({ canisterId, snapshotId: first.id, kind: { wasmModule: { offset: 0n, size: metadata.wasmModuleSize } } })
    expect(sha256Hex(Uint8Array.from(module.chunk))).toBe(sha256Hex(counterV1))

    await ic.startCanister(canisterId)
    await counter.set(7n)
    await ic.stopCanister(canisterId)
    const replacement = await ic.takeCanisterSnapshot({ canisterId, snapshotId: first.id })
    expect(hex(replacement.id)).not.toBe(hex(first.id))
    expect((await ic.listCanisterSnapshots({ canisterId })).map((s: { id: Uint8Array | number[] }) => hex(s.id))).toEqual([hex(replacement.id)])

    await ic.startCanister(canisterId)
    await counter.set(1000n)
    await ic.stopCanister(canisterId)
    const versionBefore = net.canister(canisterId)?.version ?? 0n
    await ic.loadCanisterSnapshot({ canisterId, snapshotId: replacement.id })
    expect(net.canister(canisterId)?.version).toBeGreaterThan(versionBefore)
    await ic.startCanister(canisterId)
    expect(await counter.get()).toBe(7n)

    await ic.deleteCanisterSnapshot({ canisterId, snapshotId: replacement.id })
    expect(await ic.listCanisterSnapshots({ canisterId })).toEqual([])
    expect(net.canister(canisterId)?.snapshots).toEqual([])
  })

  it('uploads a snapshot (metadata, then data) that loads like the original', async () => {
    const source = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    await counterActor(source).set(123n)
    const taken = await ic.takeCanisterSnapshot({ canisterId: source })
    const metadata = await ic.readCanisterSnapshotMetadata({ canisterId: source, snapshotId: taken.id })
    const read = async (kind: 'wasmModule' | 'wasmMemory' | 'stableMemory', size: bigint): Promise<Uint8Array> => {
      const parts: Uint8Array[] = []
      for (let offset = 0n; offset < size; offset += 2_000_000n) {
        const length = size - offset < 2_000_000n ? size - offset : 2_000_000n
        const slice = { offset, size: length }
        const reply = await ic.readCanisterSnapshotData({
          canisterId: source,
          snapshotId: taken.id,
          kind: kind === 'wasmModule' ? { wasmModule: slice } : kind === 'wasmMemory' ? { wasmMemory: slice } : { stableMemory: slice }
        })
        parts.push(Uint8Array.from(reply.chunk))
      }
      return Buffer.concat(parts)
    }
    const wasmModule = await read('wasmModule', metadata.wasmModuleSize)
    const wasmMemory = await read('wasmMemory', metadata.wasmMemorySize)
    const stableMemory = await read('stableMemory', metadata.stableMemorySize)

    const target = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const uploaded = await ic.uploadCanisterSnapshotMetadata({ canisterId: target, metadata })
    const snapshotId = uploaded.snapshot_id
    await ic.uploadCanisterSnapshotData({ canisterId: target, snapshotId, kind: { wasmModule: { offset: 0n } }, chunk: wasmModule })
    if (wasmMemory.length > 0) await ic.uploadCanisterSnapshotData({ canisterId: target, snapshotId, kind: { wasmMemory: { offset: 0n } }, chunk: wasmMemory })
    if (stableMemory.length > 0) await ic.uploadCanisterSnapshotData({ canisterId: target, snapshotId, kind: { stableMemory: { offset: 0n } }, chunk: stableMemory })
    await ic.stopCanister(target)
    await ic.loadCanisterSnapshot({ canisterId: target, snapshotId })
    await ic.startCanister(target)
    expect(await counterActor(target).get()).toBe(123n)
  })

  it('takes a snapshot with uninstall_code and loads it onto another canister of the same controller', async () => {
    const source = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    await counterActor(source).set(77n)
    await ic.stopCanister(source)
    const taken = await ic.takeCanisterSnapshot({ canisterId: source, uninstallCode: true })
    expect(net.canister(source)?.moduleHash).toBeUndefined()

    const target = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    await ic.stopCanister(target)
    await ic.loadCanisterSnapshot({ canisterId: target, snapshotId: taken.id })
    await ic.startCanister(target)
    expect(await counterActor(target).get()).toBe(77n)
    expect(net.canister(target)?.snapshots).toEqual([])
  })

  it('moves counter state from one canister to another with a cross-canister load; the source keeps its state and snapshot', async () => {
    const source = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const target = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV2 })
    await counterActor(source).set(41n)
    await counterActor(target).set(5n)
    const taken = await ic.takeCanisterSnapshot({ canisterId: source })
    await counterActor(source).inc()

    await ic.stopCanister(target)
    await ic.loadCanisterSnapshot({ canisterId: target, snapshotId: taken.id })
    await ic.startCanister(target)

    expect(await counterActor(target).get()).toBe(41n)
    expect(net.canister(target)?.moduleHash).toEqual(net.canister(source)?.moduleHash)
    expect(await counterActor(source).get()).toBe(42n)
    expect(net.canister(source)?.snapshots.map((s) => s.id)).toEqual([hex(taken.id)])
    expect(net.canister(target)?.snapshots).toEqual([])
  })

  it("refuses a cross-canister load by a non-controller of the source with the replica's IC0406 message", async () => {
    const theirs = IcManagementCanister.create({ agent: await HttpAgent.create({ host: net.url, identity: stranger, rootKey: net.rootKey }) })
    const source = await net.createCanister({ controllers: [stranger.getPrincipal()], wasmModule: counterV1 })
    const target = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    await counterActor(target).set(9n)
    const taken = await theirs.takeCanisterSnapshot({ canisterId: source })
    const versionBefore = net.canister(target)?.version
    const label = `${source.toText()}-0`

    await expect(ic.loadCanisterSnapshot({ canisterId: target, snapshotId: taken.id })).rejects.toThrow(
      `Only a controller of the canister that snapshot ${label} belongs to can load it on canister ${target.toText()}. Sender: ${me.getPrincipal().toText()}.`
    )
    await expect(ic.loadCanisterSnapshot({ canisterId: target, snapshotId: taken.id })).rejects.toThrow(/IC0406/)
    expect(await counterActor(target).get()).toBe(9n)
    expect(net.canister(target)?.version).toBe(versionBefore)
  })

  it('refuses a load of a snapshot ID whose canister does not exist with IC0305 naming the target', async () => {
    const gone = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const taken = await ic.takeCanisterSnapshot({ canisterId: gone })
    await ic.stopCanister(gone)
    await ic.deleteCanister(gone)
    const target = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })

    await expect(ic.loadCanisterSnapshot({ canisterId: target, snapshotId: taken.id })).rejects.toThrow(
      `Could not find the snapshot ID ${gone.toText()}-0 for canister ${target.toText()}.`
    )
    expect(net.canister(target)?.status).toBe('running')
  })

  it("reports the IC's snapshot errors through the agent: limit, slice size, ownership", async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    for (let i = 0; i < 10; i++) await ic.takeCanisterSnapshot({ canisterId })
    await expect(ic.takeCanisterSnapshot({ canisterId })).rejects.toThrow(/maximum number of snapshots allowed: 10[\s\S]*IC0406|IC0406[\s\S]*maximum number of snapshots allowed: 10/)
    expect(net.canister(canisterId)?.snapshots).toHaveLength(10)

    const [oldest] = await ic.listCanisterSnapshots({ canisterId })
    const snapshotId = Uint8Array.from(oldest?.id ?? [])
    const tooLarge = { wasmMemory: { offset: 0n, size: 2_000_001n } }
    await expect(ic.readCanisterSnapshotData({ canisterId, snapshotId, kind: tooLarge })).rejects.toThrow(/Requested slice too large: 2000001 > 2000000/)

    const other = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    await expect(ic.deleteCanisterSnapshot({ canisterId: other, snapshotId })).rejects.toThrow(/does not belong to canister/)
    expect(net.canister(canisterId)?.snapshots).toHaveLength(10)
  })

  it('lets a snapshot viewer (allowed_viewers, set with updateSettings) list and read, and never change anything', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    await counterActor(canisterId).set(31n)
    const taken = await ic.takeCanisterSnapshot({ canisterId })
    const viewer = IcManagementCanister.create({ agent: await HttpAgent.create({ host: net.url, identity: stranger, rootKey: net.rootKey }) })
    await expect(viewer.listCanisterSnapshots({ canisterId })).rejects.toThrow(/IC0512/)

    // Exported at run time, missing from the package's type declarations.
    const { SnapshotVisibilityType } = (await import('@icp-sdk/canisters/ic-management')) as unknown as { SnapshotVisibilityType: { AllowedViewers: number } }
    await ic.updateSettings({
      canisterId,
      settings: { snapshotVisibility: { type: SnapshotVisibilityType.AllowedViewers, viewers: [stranger.getPrincipal().toText()] } }
    })

    const listed = await viewer.listCanisterSnapshots({ canisterId })
    expect(listed.map((s: { id: Uint8Array | number[] }) => hex(s.id))).toEqual([hex(taken.id)])
    const metadata = await viewer.readCanisterSnapshotMetadata({ canisterId, snapshotId: taken.id })
    expect(metadata.wasmModuleSize).toBe(BigInt(counterV1.length))
    const module = await viewer.readCanisterSnapshotData({ canisterId, snapshotId: taken.id, kind: { wasmModule: { offset: 0n, size: metadata.wasmModuleSize } } })
    expect(sha256Hex(Uint8Array.from(module.chunk))).toBe(sha256Hex(counterV1))

    const before = net.canister(canisterId)
    await expect(viewer.takeCanisterSnapshot({ canisterId })).rejects.toThrow(/IC0512/)
    await expect(viewer.loadCanisterSnapshot({ canisterId, snapshotId: taken.id })).rejects.toThrow(/IC0512/)
    await expect(viewer.deleteCanisterSnapshot({ canisterId, snapshotId: taken.id })).rejects.toThrow(/IC0512/)
    await expect(viewer.stopCanister(canisterId)).rejects.toThrow(/IC0512/)
    expect(net.canister(canisterId)).toEqual(before)
    expect(await counterActor(canisterId).get()).toBe(31n)
  })

  it('refuses a non-controller with IC0512', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const strangerAgent = await HttpAgent.create({ host: net.url, identity: stranger, rootKey: net.rootKey })
    const theirs = IcManagementCanister.create({ agent: strangerAgent })
    await expect(theirs.takeCanisterSnapshot({ canisterId })).rejects.toThrow(/IC0512/)
    await expect(theirs.stopCanister(canisterId)).rejects.toThrow(/IC0512/)
    expect(net.canister(canisterId)?.status).toBe('running')
    expect(net.canister(canisterId)?.snapshots).toEqual([])
  })
})

describe('long and repeated management calls on the wire', () => {
  const managementCall = async (method: string, arg: Uint8Array, ecid: Principal) => {
    const content = { ...callContent(me, Principal.managementCanister(), method), arg }
    const envelope = await signedEnvelope(me, content)
    return { envelope, send: () => post(`${net.url}/api/v4/canister/${ecid.toText()}/call`, envelope.body) }
  }

  it('answers a long stop_canister with 202, certifies it as processing, then replies once stopped', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    net.faults.holdStopping(canisterId)
    const stop = await managementCall('stop_canister', new Uint8Array(IDL.encode([CanisterIdArg], [{ canister_id: canisterId }])), canisterId)
    expect((await stop.send()).status).toBe(202)
    expect(net.canister(canisterId)?.status).toBe('stopping')

    const read = await signedEnvelope(me, readStateContent(me, [[new TextEncoder().encode('request_status'), stop.envelope.requestId]]))
    const pending = await post(`${net.url}/api/v3/canister/${canisterId.toText()}/read_state`, read.body)
    const cert = await Certificate.create({ certificate: pending.cbor().certificate as Uint8Array, rootKey: net.rootKey, principal: { canisterId } })
    expect(new TextDecoder().decode(lookupResultToBuffer(cert.lookup_path(['request_status', stop.envelope.requestId, 'status'])))).toBe('processing')

    net.faults.holdStopping(canisterId, false)
    const done = await stop.send()
    expect(done.status).toBe(200)
    expect(done.cbor().status).toBe('replied')
    expect(net.canister(canisterId)?.status).toBe('stopped')
  })

  it('lets the agent poll a held stop_canister to completion', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    net.faults.holdStopping(canisterId)
    const release = setTimeout(() => net.faults.holdStopping(canisterId, false), 1_500)
    try {
      await ic.stopCanister(canisterId)
    } finally {
      clearTimeout(release)
    }
    expect(net.canister(canisterId)?.status).toBe('stopped')
  })

  it('takes one snapshot for a resent identical take_canister_snapshot', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const arg = new Uint8Array(IDL.encode([TakeSnapshotArg], [{ canister_id: canisterId, replace_snapshot: [] }]))
    const take = await managementCall('take_canister_snapshot', arg, canisterId)
    const first = await take.send()
    const second = await take.send()
    expect([first.status, second.status]).toEqual([200, 200])
    expect(first.cbor().certificate).toBeInstanceOf(Uint8Array)
    expect(net.canister(canisterId)?.snapshots).toHaveLength(1)
  })
})

describe('faults through Emulator.faults', () => {
  it('survives a 503 and a dropped response on take_canister_snapshot with exactly one snapshot each', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    net.faults.failNext({ endpoint: 'call', method: 'take_canister_snapshot', mode: 503 })
    await ic.takeCanisterSnapshot({ canisterId })
    expect(net.canister(canisterId)?.snapshots).toHaveLength(1)

    net.faults.dropResponse({ method: 'take_canister_snapshot' })
    await ic.takeCanisterSnapshot({ canisterId })
    expect(net.canister(canisterId)?.snapshots).toHaveLength(2)
  })

  it('drains cycles so that calls are refused for lack of them', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    net.faults.drainCycles(canisterId)
    expect(net.canister(canisterId)?.cycles).toBe(0n)
    await expect(counterActor(canisterId).inc()).rejects.toThrow(/out of cycles/)
  })

  it('skews the clock seen by expiry checks, and resets it', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counterV1 })
    const url = `${net.url}/api/v4/canister/${canisterId.toText()}/call`
    net.faults.skewClock(10 * 60_000)
    try {
      const skewed = await post(url, (await signedEnvelope(me, callContent(me, canisterId, 'inc'))).body)
      expect(skewed.status).toBe(400)
      expect(skewed.text).toMatch(/^Invalid request expiry: /)
    } finally {
      net.faults.skewClock(0)
    }
    expect((await post(url, (await signedEnvelope(me, callContent(me, canisterId, 'inc'))).body)).status).toBe(200)
  })
})
