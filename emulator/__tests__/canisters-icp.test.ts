/**
 * The test canisters with DFINITY's `icp` CLI 1.5.0, run headless against the emulator: the demo
 * deploy path (create-canister helper, `icp canister install`, `icp canister call` through the
 * module's candid:service metadata) and a snapshot downloaded from one canister, uploaded into
 * another and restored there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../canisters/index.js'
import { Emulator } from '../src/index.js'
import { runWithIcpHome, type RunResult } from './helpers/run-with-icp-home.js'
import { icpBinary } from '../../__tests__/helpers/icp.js'

const ICP = icpBinary()
const TSX = join(process.cwd(), 'node_modules/.bin/tsx')
const COUNTER_V1 = join(process.cwd(), 'emulator/canisters/build/counter_v1.wasm')
const COMMAND_TIMEOUT_MS = 60_000

let home: string
let net: Emulator
let me: Principal

function run(file: string, args: string[]): Promise<RunResult> {
  return runWithIcpHome(file, args, { home, cwd: home, timeoutMs: COMMAND_TIMEOUT_MS })
}

/** An icp command against the emulator as identity `ci`; fails with icp's own words. */
async function icp(...args: string[]): Promise<RunResult> {
  const result = await run(ICP, [...args, '--network', net.url, '--root-key', net.rootKeyHex, '--identity', 'ci'])
  if (result.code !== 0) throw new Error(`icp ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`)
  return result
}

async function createCanister(): Promise<string> {
  const created = await run(TSX, [join(process.cwd(), 'emulator/scripts/create-canister.ts'), '--network', net.url, '--root-key', net.rootKeyHex, '--controller', me.toText()])
  if (created.code !== 0) throw new Error(`create-canister failed: ${created.stderr}`)
  return Principal.fromText(created.stdout.trim()).toText()
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'icp-canisters-'))
  net = await Emulator.start({ seed: 'canisters-icp-test' })
  const pem = join(home, 'ci.pem')
  await writeFile(pem, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 })
  const imported = await run(ICP, ['identity', 'import', '--storage', 'plaintext', '--from-pem', pem, 'ci'])
  if (imported.code !== 0) throw new Error(`icp identity import failed: ${imported.stderr}`)
  await rm(pem)
  me = Principal.fromText((await run(ICP, ['identity', 'principal', '--identity', 'ci'])).stdout.trim())
})

afterAll(async () => {
  await net?.close()
  if (home !== undefined) await rm(home, { recursive: true, force: true })
})

describe('icp with the test canisters', () => {
  it('deploys counter v1 with icp canister install and calls it through its candid:service', async () => {
    const cid = await createCanister()
    await icp('canister', 'install', cid, '--wasm', COUNTER_V1)
    for (const expected of [1, 2, 3]) expect((await icp('canister', 'call', cid, 'inc', '()')).stdout.trim()).toBe(`(${expected} : nat64)`)
    expect((await icp('canister', 'call', cid, 'get', '()', '--query')).stdout.trim()).toBe('(3 : nat64)')
    expect((await icp('canister', 'metadata', cid, 'candid:service')).stdout).toContain('get : () -> (nat64) query;')
  })

  it('downloads a live counter snapshot, uploads it into another canister and restores the value there', async () => {
    const source = await createCanister()
    await icp('canister', 'install', source, '--wasm', COUNTER_V1)
    await icp('canister', 'call', source, 'set', '(41)')
    // An upgrade makes pre_upgrade copy the value to stable memory, so both memories carry data.
    await icp('canister', 'install', source, '--mode', 'upgrade', '--yes', '--wasm', COUNTER_V1)
    await icp('canister', 'call', source, 'inc', '()')
    await icp('canister', 'stop', source)
    const snapshotId = (await icp('canister', 'snapshot', 'create', source, '--quiet')).stdout.trim()
    expect(snapshotId).toMatch(/^[0-9a-f]{36}$/)
    await icp('canister', 'start', source)

    const dir = join(home, 'download')
    await icp('canister', 'snapshot', 'download', source, snapshotId, '--output', dir)
    expect(await readFile(join(dir, 'wasm_module.bin'))).toEqual(Buffer.from(await loadCanisterModule('counter_v1')))
    expect((await stat(join(dir, 'wasm_memory.bin'))).size).toBe(65_536)
    const stable = await readFile(join(dir, 'stable_memory.bin'))
    expect(stable.length).toBe(65_536)
    expect(stable.readBigUInt64LE(0)).toBe(41n)
    const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as { globals: unknown[]; certified_data: number[] }
    expect(metadata.globals).toEqual([{ i64: 1 }])
    expect(Buffer.from(metadata.certified_data).readBigUInt64LE(0)).toBe(42n)

    const target = await createCanister()
    const uploaded = JSON.parse((await icp('canister', 'snapshot', 'upload', target, '--input', dir, '--json')).stdout) as { snapshot_id: string }
    await icp('canister', 'stop', target)
    await icp('canister', 'snapshot', 'restore', target, uploaded.snapshot_id)
    await icp('canister', 'start', target)
    expect((await icp('canister', 'call', target, 'get', '()', '--query')).stdout.trim()).toBe('(42 : nat64)')
    expect((await icp('canister', 'call', target, 'inc', '()')).stdout.trim()).toBe('(43 : nat64)')
    expect((await icp('canister', 'call', source, 'get', '()', '--query')).stdout.trim()).toBe('(42 : nat64)')
  })
})
