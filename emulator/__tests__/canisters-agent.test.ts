/**
 * The test canisters running in the emulator, driven by the JS agent over real HTTP: the rollback
 * story (snapshot, bad upgrade, load) and a 64 MiB + 64 MiB snapshot downloaded byte by byte and
 * uploaded into a second canister.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import { IDL } from '@icp-sdk/core/candid'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import type { Principal } from '@icp-sdk/core/principal'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import {
  BALLAST_HEAP_START,
  BallastChecksum,
  ballastIdl,
  counterIdl,
  loadCanisterModule,
  type BallastService,
  type CounterService
} from '../canisters/index.js'
import { Emulator } from '../src/index.js'

const MIB = 1024 * 1024
/** The replica's `MAX_SLICE_SIZE_BYTES`, which dfx and icp also use as their chunk size. */
const SLICE = 2_000_000
const NO_ARGS = new Uint8Array(IDL.encode([], []))
const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

const me = Ed25519KeyIdentity.generate()
let net: Emulator
let agent: HttpAgent
let ic: IcManagementCanister

beforeAll(async () => {
  net = await Emulator.start({ seed: 'canisters-agent-test' })
  agent = await HttpAgent.create({ host: net.url, identity: me, rootKey: net.rootKey })
  ic = IcManagementCanister.create({ agent })
})

afterAll(async () => {
  await net.close()
})

async function createAndInstall(wasmModule: Uint8Array): Promise<Principal> {
  const canisterId = await ic.provisionalCreateCanisterWithCycles({ settings: { controllers: [me.getPrincipal().toText()] } })
  await ic.installCode({ mode: { install: null }, canisterId, wasmModule, arg: NO_ARGS })
  return canisterId
}

type MemoryKind = 'wasmMemory' | 'stableMemory' | 'wasmModule'

/** Reads one memory of a snapshot in `SLICE`-byte calls, handing each slice to `sink` in order. */
async function readSnapshotData(canisterId: Principal, snapshotId: Uint8Array, kind: MemoryKind, size: bigint, sink: (chunk: Uint8Array) => void): Promise<void> {
  for (let offset = 0n; offset < size; offset += BigInt(SLICE)) {
    const length = size - offset < BigInt(SLICE) ? size - offset : BigInt(SLICE)
    const range = { offset, size: length }
    const kindArg = kind === 'wasmMemory' ? { wasmMemory: range } : kind === 'stableMemory' ? { stableMemory: range } : { wasmModule: range }
    const { chunk } = await ic.readCanisterSnapshotData({ canisterId, snapshotId, kind: kindArg })
    expect(chunk.length).toBe(Number(length))
    sink(Uint8Array.from(chunk))
  }
}

async function uploadSnapshotData(canisterId: Principal, snapshotId: Uint8Array, kind: MemoryKind, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += SLICE) {
    const at = { offset: BigInt(offset) }
    const kindArg = kind === 'wasmMemory' ? { wasmMemory: at } : kind === 'stableMemory' ? { stableMemory: at } : { wasmModule: at }
    await ic.uploadCanisterSnapshotData({ canisterId, snapshotId, kind: kindArg, chunk: bytes.subarray(offset, offset + SLICE) })
  }
}

describe('counter: snapshot, bad upgrade, load', () => {
  it('loads the snapshot after a broken upgrade and answers 3 again with the v1 module', async () => {
    const v1 = await loadCanisterModule('counter_v1')
    const canisterId = await createAndInstall(v1)
    const counter = Actor.createActor<CounterService>(counterIdl, { agent, canisterId })
    for (let i = 0; i < 3; i++) await counter.inc()

    const snapshot = await ic.takeCanisterSnapshot({ canisterId })
    expect(await counter.inc()).toBe(4n)

    await ic.installCode({ mode: { upgrade: [] }, canisterId, wasmModule: await loadCanisterModule('counter_v2'), arg: NO_ARGS })
    await expect(counter.get()).rejects.toThrow(/Reject code: 5[\s\S]*counter v2: get is broken[\s\S]*Error code: IC0503/)

    await ic.loadCanisterSnapshot({ canisterId, snapshotId: snapshot.id })
    expect(await counter.get()).toBe(3n)
    const status = await ic.canisterStatus({ canisterId })
    expect(status.module_hash[0]).toEqual(sha256(v1))
    expect(await counter.inc()).toBe(4n)
  })

  it('keeps the value through an upgrade and loses it on reinstall', async () => {
    const v1 = await loadCanisterModule('counter_v1')
    const canisterId = await createAndInstall(v1)
    const counter = Actor.createActor<CounterService>(counterIdl, { agent, canisterId })
    await counter.set(41n)
    await ic.installCode({ mode: { upgrade: [] }, canisterId, wasmModule: v1, arg: NO_ARGS })
    expect(await counter.inc()).toBe(42n)
    await ic.installCode({ mode: { reinstall: null }, canisterId, wasmModule: v1, arg: NO_ARGS })
    expect(await counter.get()).toBe(0n)
  })

  it('leaves the state unchanged when an update traps', async () => {
    const canisterId = await createAndInstall(await loadCanisterModule('counter_v1'))
    const counter = Actor.createActor<CounterService>(counterIdl, { agent, canisterId })
    await counter.set(7n)
    // Wrong Candid on purpose: `set` traps on anything but one nat64.
    const wrong = Actor.createActor<{ set: (value: string) => Promise<undefined> }>(
      ({ IDL: I }) => I.Service({ set: I.Func([I.Text], [], []) }),
      { agent, canisterId }
    )
    await expect(wrong.set('8')).rejects.toThrow(/counter: set expects one nat64 argument/)
    expect(await counter.get()).toBe(7n)
  })
})

describe('ballast: 64 MiB of heap and 64 MiB of stable memory', () => {
  it('serves every snapshot byte, and an uploaded copy answers identically in a second canister', async () => {
    const wasmModule = await loadCanisterModule('ballast')
    const source = await createAndInstall(wasmModule)
    const ballast = Actor.createActor<BallastService>(ballastIdl, { agent, canisterId: source })
    const checksum = await ballast.grow(64, 64)
    expect(await ballast.checksum()).toBe(checksum)

    const { id: snapshotId } = await ic.takeCanisterSnapshot({ canisterId: source })
    const metadata = await ic.readCanisterSnapshotMetadata({ canisterId: source, snapshotId })
    expect(metadata.wasmMemorySize).toBe(BigInt(BALLAST_HEAP_START + 64 * MIB))
    expect(metadata.stableMemorySize).toBe(BigInt(64 * MIB))
    expect(metadata.wasmModuleSize).toBe(BigInt(wasmModule.length))

    const heap = new Uint8Array(Number(metadata.wasmMemorySize))
    const stable = new Uint8Array(Number(metadata.stableMemorySize))
    const module = new Uint8Array(Number(metadata.wasmModuleSize))
    const digest = new BallastChecksum()
    let heapAt = 0
    await readSnapshotData(source, snapshotId, 'wasmMemory', metadata.wasmMemorySize, (chunk) => {
      heap.set(chunk, heapAt)
      heapAt += chunk.length
    })
    digest.update(heap.subarray(BALLAST_HEAP_START))
    let stableAt = 0
    await readSnapshotData(source, snapshotId, 'stableMemory', metadata.stableMemorySize, (chunk) => {
      stable.set(chunk, stableAt)
      stableAt += chunk.length
      digest.update(chunk)
    })
    expect(digest.digest()).toBe(checksum)
    await readSnapshotData(source, snapshotId, 'wasmModule', metadata.wasmModuleSize, (chunk) => module.set(chunk))
    expect(module).toEqual(wasmModule)

    const target = await ic.provisionalCreateCanisterWithCycles({ settings: { controllers: [me.getPrincipal().toText()] } })
    const { snapshot_id: uploadedId } = await ic.uploadCanisterSnapshotMetadata({
      canisterId: target,
      metadata: {
        globals: metadata.globals,
        certifiedData: metadata.certifiedData,
        globalTimer: metadata.globalTimer,
        onLowWasmMemoryHookStatus: metadata.onLowWasmMemoryHookStatus,
        wasmModuleSize: metadata.wasmModuleSize,
        wasmMemorySize: metadata.wasmMemorySize,
        stableMemorySize: metadata.stableMemorySize
      }
    })
    const uploadedSnapshotId = Uint8Array.from(uploadedId)
    await uploadSnapshotData(target, uploadedSnapshotId, 'wasmModule', module)
    await uploadSnapshotData(target, uploadedSnapshotId, 'wasmMemory', heap)
    await uploadSnapshotData(target, uploadedSnapshotId, 'stableMemory', stable)
    await ic.loadCanisterSnapshot({ canisterId: target, snapshotId: uploadedSnapshotId })

    const copy = Actor.createActor<BallastService>(ballastIdl, { agent, canisterId: target })
    expect(await copy.checksum()).toBe(checksum)
    const status = await ic.canisterStatus({ canisterId: target })
    expect(status.module_hash[0]).toEqual(sha256(wasmModule))
    expect(status.memory_metrics.wasm_memory_size).toBe(metadata.wasmMemorySize)
    expect(status.memory_metrics.stable_memory_size).toBe(metadata.stableMemorySize)
    // 68 reads and 68 uploads of 2 MB, each a certified update call verified by the agent.
  }, 300_000)
})
