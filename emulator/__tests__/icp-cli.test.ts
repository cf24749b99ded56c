/**
 * DFINITY's `icp` CLI 1.5.0 (a Rust client on ic-agent) run headless against the emulator: its
 * lifecycle and snapshot commands must succeed and agree with the emulator's state, and its own
 * fallbacks for a non-controller and an unknown canister must appear.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Actor, AnonymousIdentity, HttpAgent } from '@icp-sdk/core/agent'
import { Principal } from '@icp-sdk/core/principal'
import { counterIdl, loadCanisterModule, type CounterService } from '../canisters/index.js'
import { Emulator } from '../src/index.js'
import { runWithIcpHome, type RunResult } from './helpers/run-with-icp-home.js'
import { icpBinary } from '../../__tests__/helpers/icp.js'

const ICP = icpBinary()
/** A wrong request id makes icp poll for 5 minutes; fail long before that. */
const ICP_TIMEOUT_MS = 60_000

let home: string
let net: Emulator
let me: Principal
/** A P-256 identity, as icp signs with it: the emulator must verify its ECDSA P-256 signatures. */
let viewer: Principal
let counterV1: Uint8Array

function icp(...args: string[]): Promise<RunResult> {
  return runWithIcpHome(ICP, args, { home, timeoutMs: ICP_TIMEOUT_MS })
}

/** Runs an icp command against the emulator and fails the test with icp's own words if it fails. */
async function icpOk(...args: string[]): Promise<RunResult> {
  const result = await icp(...args, '--network', net.url, '--root-key', net.rootKeyHex)
  if (result.code !== 0) throw new Error(`icp ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`)
  return result
}

/** Imports a PEM written to the temp ICP_HOME (icp only reads keys from files) as a plaintext identity. */
async function importIdentity(name: string, pem: string): Promise<Principal> {
  const file = join(home, `${name}.pem`)
  await writeFile(file, pem, { mode: 0o600 })
  const imported = await icp('identity', 'import', '--storage', 'plaintext', '--from-pem', file, name)
  if (imported.code !== 0) throw new Error(`icp identity import failed: ${imported.stderr}`)
  await rm(file)
  const principal = await icp('identity', 'principal', '--identity', name)
  return Principal.fromText(principal.stdout.trim())
}

async function counterOf(canisterId: Principal): Promise<CounterService> {
  const agent = await HttpAgent.create({ host: net.url, identity: new AnonymousIdentity(), rootKey: net.rootKey })
  return Actor.createActor<CounterService>(counterIdl, { agent, canisterId })
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'icp-home-'))
  // Two subnets with delegated certificates, as mainnet: icp must check each subnet's delegation.
  net = await Emulator.start({ seed: 'icp-cli-test', subnets: 2 })
  counterV1 = await loadCanisterModule('counter_v1')
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  me = await importIdentity('ci', privateKey.export({ format: 'pem', type: 'sec1' }).toString())
  const other = generateKeyPairSync('ed25519').privateKey
  await importIdentity('stranger', other.export({ format: 'pem', type: 'pkcs8' }).toString())
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
  viewer = await importIdentity('viewer', p256.export({ format: 'pem', type: 'sec1' }).toString())
})

afterAll(async () => {
  await net?.close()
  if (home !== undefined) await rm(home, { recursive: true, force: true })
})

describe('icp 1.5.0 against the emulator', () => {
  it('reports status, stops and starts a canister', async () => {
    const canisterId = await net.createCanister({ controllers: [me], wasmModule: counterV1 })
    const cid = canisterId.toText()
    const status = await icpOk('canister', 'status', cid, '--identity', 'ci')
    expect(status.stdout).toContain('Status: Running')
    expect(status.stdout).toContain(me.toText())
    expect(status.stdout).toContain(`Module hash: 0x${createHash('sha256').update(counterV1).digest('hex')}`)

    await icpOk('canister', 'stop', cid, '--identity', 'ci')
    expect(net.canister(canisterId)?.status).toBe('stopped')
    expect((await icpOk('canister', 'status', cid, '--identity', 'ci')).stdout).toContain('Status: Stopped')
    await icpOk('canister', 'start', cid, '--identity', 'ci')
    expect(net.canister(canisterId)?.status).toBe('running')
  })

  it('creates, replaces, lists, restores and deletes snapshots', async () => {
    const canisterId = await net.createCanister({ controllers: [me], wasmModule: counterV1 })
    const cid = canisterId.toText()
    const counter = await counterOf(canisterId)
    await counter.set(5n)
    await icpOk('canister', 'stop', cid, '--identity', 'ci')

    const created = await icpOk('canister', 'snapshot', 'create', cid, '--identity', 'ci')
    const first = /Created snapshot ([0-9a-f]+) /.exec(created.stdout)?.[1]
    expect(first).toBeDefined()
    expect(net.canister(canisterId)?.snapshots.map((s) => s.id)).toEqual([first])

    await icpOk('canister', 'start', cid, '--identity', 'ci')
    await counter.set(6n)
    await icpOk('canister', 'stop', cid, '--identity', 'ci')
    const replaced = await icpOk('canister', 'snapshot', 'create', cid, '--replace', first as string, '--identity', 'ci')
    const second = /Created snapshot ([0-9a-f]+) /.exec(replaced.stdout)?.[1] as string
    expect(second).not.toBe(first)

    const listed = JSON.parse((await icpOk('canister', 'snapshot', 'list', cid, '--json', '--identity', 'ci')).stdout) as {
      snapshots: { snapshot_id: string; taken_at_timestamp: number; total_size_bytes: number }[]
    }
    const state = net.canister(canisterId)?.snapshots ?? []
    expect(listed.snapshots.map((s) => s.snapshot_id)).toEqual([second])
    expect(state.map((s) => s.id)).toEqual([second])
    expect(BigInt(listed.snapshots[0]?.total_size_bytes ?? -1)).toBe(BigInt(state[0]?.totalSize ?? -2))

    await icpOk('canister', 'start', cid, '--identity', 'ci')
    await counter.set(99n)
    await icpOk('canister', 'stop', cid, '--identity', 'ci')
    const restored = await icpOk('canister', 'snapshot', 'restore', cid, second, '--identity', 'ci')
    expect(restored.stderr + restored.stdout).toContain(second)
    await icpOk('canister', 'start', cid, '--identity', 'ci')
    expect(await counter.get()).toBe(6n)

    await icpOk('canister', 'snapshot', 'delete', cid, second, '--identity', 'ci')
    expect(net.canister(canisterId)?.snapshots).toEqual([])
  })

  it('downloads a snapshot and uploads it as a new one that restores the same state', async () => {
    const canisterId = await net.createCanister({ controllers: [me], wasmModule: counterV1 })
    const cid = canisterId.toText()
    const counter = await counterOf(canisterId)
    await counter.set(321n)
    await icpOk('canister', 'stop', cid, '--identity', 'ci')
    const created = await icpOk('canister', 'snapshot', 'create', cid, '--identity', 'ci')
    const snapshotId = /Created snapshot ([0-9a-f]+) /.exec(created.stdout)?.[1] as string

    const dir = await mkdtemp(join(tmpdir(), 'icp-download-'))
    try {
      await icpOk('canister', 'snapshot', 'download', cid, snapshotId, '--output', dir, '--identity', 'ci')
      const files = await readdir(dir)
      expect(files).toEqual(expect.arrayContaining(['metadata.json', 'wasm_module.bin', 'wasm_memory.bin', 'stable_memory.bin']))
      expect(Buffer.compare(await readFile(join(dir, 'wasm_module.bin')), Buffer.from(counterV1))).toBe(0)

      const uploaded = await icpOk('canister', 'snapshot', 'upload', cid, '--input', dir, '--json', '--identity', 'ci')
      const uploadedId = (JSON.parse(uploaded.stdout.split('\n')[0] as string) as { snapshot_id: string }).snapshot_id
      expect(uploadedId).not.toBe(snapshotId)
      expect(net.canister(canisterId)?.snapshots.map((s) => s.id)).toEqual([snapshotId, uploadedId])

      await icpOk('canister', 'start', cid, '--identity', 'ci')
      await counter.set(1n)
      await icpOk('canister', 'stop', cid, '--identity', 'ci')
      await icpOk('canister', 'snapshot', 'restore', cid, uploadedId, '--identity', 'ci')
      await icpOk('canister', 'start', cid, '--identity', 'ci')
      expect(await counter.get()).toBe(321n)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('calls a canister with an update and a signature-verified query', async () => {
    const canisterId = await net.createCanister({ controllers: [me], wasmModule: counterV1 })
    const cid = canisterId.toText()
    const updated = await icpOk('canister', 'call', cid, 'inc', '()', '--identity', 'ci')
    expect(updated.stdout).toMatch(/\(1 : nat64\)/)
    const queried = await icpOk('canister', 'call', cid, 'get', '()', '--query', '--identity', 'ci')
    expect(queried.stdout).toMatch(/\(1 : nat64\)/)
  })

  it('accepts the delegated certificates of a second subnet: status, update and signature-verified query', async () => {
    const canisterId = await net.createCanister({ controllers: [me], wasmModule: counterV1, subnet: 1 })
    expect(net.subnetOf(canisterId)?.index).toBe(1)
    const cid = canisterId.toText()
    const status = await icpOk('canister', 'status', cid, '--identity', 'ci')
    expect(status.stdout).toContain('Status: Running')
    expect((await icpOk('canister', 'call', cid, 'inc', '()', '--identity', 'ci')).stdout).toMatch(/\(1 : nat64\)/)
    expect((await icpOk('canister', 'call', cid, 'get', '()', '--query', '--identity', 'ci')).stdout).toMatch(/\(1 : nat64\)/)
  })

  it("reports the boundary node's answer for a canister outside every subnet", async () => {
    const outside = Principal.fromUint8Array(new Uint8Array([0, 0, 0, 0, 0x40, 0, 0, 0, 1, 1])).toText()
    const result = await icp('canister', 'status', outside, '--identity', 'ci', '--network', net.url, '--root-key', net.rootKeyHex)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('canister_not_found')
  })

  it("shows a non-controller icp's public-state fallback", async () => {
    const canisterId = await net.createCanister({ controllers: [me], wasmModule: counterV1 })
    const status = await icpOk('canister', 'status', canisterId.toText(), '--identity', 'stranger')
    expect(status.stdout).toContain(me.toText())
    expect(status.stdout).toContain('Module hash: 0x')
    expect(status.stdout).not.toContain('Status: ')
  })

  it('lets a snapshot viewer set with --add-snapshot-viewer list snapshots (signing with P-256), but not take one', async () => {
    const canisterId = await net.createCanister({ controllers: [me], wasmModule: counterV1 })
    const cid = canisterId.toText()
    await icpOk('canister', 'stop', cid, '--identity', 'ci')
    await icpOk('canister', 'snapshot', 'create', cid, '--identity', 'ci')
    const [taken] = net.canister(canisterId)?.snapshots ?? []
    const before = await icp('canister', 'snapshot', 'list', cid, '--json', '--identity', 'viewer', '--network', net.url, '--root-key', net.rootKeyHex)
    expect(before.code).not.toBe(0)
    expect(before.stderr).toContain('IC0512')

    await icpOk('canister', 'settings', 'update', cid, '--add-snapshot-viewer', viewer.toText(), '--identity', 'ci')

    const listed = JSON.parse((await icpOk('canister', 'snapshot', 'list', cid, '--json', '--identity', 'viewer')).stdout) as { snapshots: { snapshot_id: string }[] }
    expect(listed.snapshots.map((s) => s.snapshot_id)).toEqual([taken?.id])
    const take = await icp('canister', 'snapshot', 'create', cid, '--identity', 'viewer', '--network', net.url, '--root-key', net.rootKeyHex)
    expect(take.code).not.toBe(0)
    expect(take.stderr).toContain(`Sender's ID: ${viewer.toText()}`)
    expect(take.stderr).toContain('IC0512')
    expect(net.canister(canisterId)?.snapshots.map((s) => s.id)).toEqual([taken?.id])
    expect(net.canister(canisterId)?.status).toBe('stopped')
  })

  it('reports an unknown canister as not found', async () => {
    // Canister number 10,000 of the subnet's range: inside the range, never created here.
    const missing = Principal.fromUint8Array(new Uint8Array([0, 0, 0, 0, 0, 0, 0x27, 0x10, 1, 1])).toText()
    expect(net.canister(Principal.fromText(missing))).toBeUndefined()
    const result = await icp('canister', 'status', missing, '--identity', 'ci', '--network', net.url, '--root-key', net.rootKeyHex)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`Canister ${missing} was not found.`)
  })
})
