/**
 * The bundled CLI (`dist/cli/index.js`, the `canister-snapshot` bin) as a process against the
 * emulator: the same scenarios as the action, identity from a file, the environment or stdin.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import { icpCli } from './helpers/backup.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { generateTestKeys, TEST_PASSWORD } from './helpers/keys.js'

const CLI = path.resolve('dist/cli/index.js')
let t: TestNetwork
let dir: string
let pemFile: string

beforeAll(async () => {
  t = await startTestNetwork()
  dir = await mkdtemp(path.join(tmpdir(), 'cli-'))
  pemFile = path.join(dir, 'identity.pem')
  await writeFile(pemFile, t.pem, { mode: 0o600 })
})
afterAll(async () => {
  await t.close()
  await rm(dir, { recursive: true, force: true })
})

interface CliRun {
  code: number
  stdout: string
  stderr: string
}

function cli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr })
    })
    child.stdin.end(options.stdin ?? '')
  })
}

const net = (): string[] => ['--network', t.net.url, '--root-key', t.net.rootKeyHex]
const snapshotIds = (id: Principal): string[] => (t.net.canister(id)?.snapshots ?? []).map((s) => s.id)

function expectNoKey(run: CliRun, pem: string): void {
  for (const line of pem.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----'))) {
    expect(run.stdout).not.toContain(line)
    expect(run.stderr).not.toContain(line)
  }
}

describe('canister-snapshot CLI', () => {
  it('snapshots, lists as JSON, rolls back to latest and deletes', async () => {
    const id = await t.createCounter()
    await t.counter(id).inc()
    const snap = await cli(['snapshot', id.toText(), ...net(), '--identity-file', pemFile])
    expect(snap.code).toBe(0)
    const [taken] = snapshotIds(id)
    expect(snap.stdout).toBe(`Created snapshot ${taken} for canister ${id.toText()} (${snap.stdout.match(/\((.+), downtime/)?.[1]}, downtime ${snap.stdout.match(/downtime (\S+) s/)?.[1]} s)\n`)
    expect(snap.stderr).toContain(`Stopped ${id.toText()}.`)
    expect(t.net.canister(id)?.status).toBe('running')

    await t.counter(id).inc()
    const list = await cli(['list', id.toText(), ...net(), '--json'], { env: { CANISTER_SNAPSHOT_IDENTITY: t.pem } })
    expect(list.code).toBe(0)
    const json = JSON.parse(list.stdout) as { operation: string; results: { snapshots: { id: string }[] }[] }
    expect(json.operation).toBe('list')
    expect(json.results[0]?.snapshots.map((s) => s.id)).toEqual([taken])

    const rollback = await cli(['restore', id.toText(), ...net(), '--snapshot-id', 'latest', '--no-safety-snapshot', '--identity-stdin'], { stdin: t.pem })
    expect(rollback.code).toBe(0)
    expect(rollback.stdout).toContain(`Restored canister ${id.toText()} from snapshot ${taken}`)
    expect(await t.counter(id).get()).toBe(1n)

    const del = await cli(['delete', id.toText(), ...net(), '--snapshot-id', taken ?? '', '--identity-file', pemFile])
    expect(del.code).toBe(0)
    expect(del.stdout).toBe(`Deleted snapshot ${taken} from canister ${id.toText()}\n`)
    expect(snapshotIds(id)).toEqual([])
    for (const run of [snap, list, rollback, del]) expectNoKey(run, t.pem)
  })

  it('copies a snapshot of another canister with --from-canister and reports it in one line', async () => {
    const [source, target] = await Promise.all([t.createCounter(), t.createCounter()])
    await t.counter(source).set(11n)
    const run = await cli(['copy', target.toText(), '--from-canister', source.toText(), '--snapshot-id', 'new', ...net(), '--identity-file', pemFile])
    expect(run.code).toBe(0)
    const [taken] = snapshotIds(source)
    const [safety] = snapshotIds(target)
    expect(run.stdout).toBe(
      `Copied onto canister ${target.toText()} from ${source.toText()} snapshot ${taken}, loaded directly (same subnet); running module ${t.moduleHashOf(source)} (safety snapshot ${safety})\n`
    )
    expect(await t.counter(target).get()).toBe(11n)
    expectNoKey(run, t.pem)
  })

  it('snapshots several canisters with --no-stop and --dry-run changes nothing', async () => {
    const ids = await Promise.all([t.createCounter(), t.createCounter()])
    const dry = await cli(['snapshot', ...ids.map((i) => i.toText()), ...net(), '--dry-run', '--identity-file', pemFile, '--json'])
    expect(dry.code).toBe(0)
    expect((JSON.parse(dry.stdout) as { results: { outcome: string }[] }).results.map((r) => r.outcome)).toEqual(['dry-run', 'dry-run'])
    expect(ids.flatMap(snapshotIds)).toEqual([])
    const live = await cli(['snapshot', ...ids.map((i) => i.toText()), ...net(), '--no-stop', '--identity-file', pemFile])
    expect(live.code).toBe(0)
    expect(live.stderr).not.toContain('Stopped')
    expect(live.stderr).toContain('warning:')
    for (const id of ids) expect(snapshotIds(id)).toHaveLength(1)
  })

  it('rotates with --keep, prunes with a dry run first, and downloads a backup', async () => {
    const id = await t.createCounter()
    for (let i = 0; i < 3; i++) expect((await cli(['snapshot', id.toText(), ...net(), '--keep', '2', '--identity-file', pemFile])).code).toBe(0)
    const kept = snapshotIds(id)
    expect(kept).toHaveLength(2)
    const dry = await cli(['prune', id.toText(), ...net(), '--keep', '1', '--dry-run', '--identity-file', pemFile])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`would delete ${kept[0]}`)
    expect(snapshotIds(id)).toEqual(kept)
    expect((await cli(['prune', id.toText(), ...net(), '--keep', '1', '--identity-file', pemFile])).code).toBe(0)
    expect(snapshotIds(id)).toEqual([kept[1]])
    const out = path.join(dir, 'download')
    const down = await cli(['download', id.toText(), ...net(), '--path', out, '--json', '--identity-file', pemFile])
    expect(down.code).toBe(0)
    const json = JSON.parse(down.stdout) as { extraOutputs: { path: string; sha256: string }; results: { snapshotId: string }[] }
    expect(json.extraOutputs.path).toBe(out)
    expect(json.extraOutputs.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(json.results[0]?.snapshotId).toBe(kept[1])
  })

  it('accepts an encrypted PEM with a password file', async () => {
    const keys = generateTestKeys()
    const file = path.join(dir, 'encrypted.pem')
    const pw = path.join(dir, 'password')
    await writeFile(file, keys.encryptedPkcs8, { mode: 0o600 })
    await writeFile(pw, `${TEST_PASSWORD}\n`, { mode: 0o600 })
    const { parseIdentity } = await import('../src/core/identity.js')
    const principal = parseIdentity(keys.sec1).identity.getPrincipal()
    const id = await t.net.createCanister({ controllers: [principal], wasmModule: await (await import('../emulator/canisters/index.js')).loadCanisterModule('counter_v1') })
    const run = await cli(['list', id.toText(), ...net(), '--identity-file', file, '--identity-password-file', pw])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`No snapshots found for canister ${id.toText()}\n`)
    expectNoKey(run, keys.encryptedPkcs8)
  })

  it('lists and downloads with a snapshot viewer key, and exits 1 naming snapshot_visibility when that key is asked to snapshot', async () => {
    const id = await t.createCounter()
    expect((await cli(['snapshot', id.toText(), ...net(), '--identity-file', pemFile])).code).toBe(0)
    const [taken] = snapshotIds(id)
    const viewerPem = generateTestKeys().pkcs8Secp256k1
    const { parseIdentity } = await import('../src/core/identity.js')
    const viewer = parseIdentity(viewerPem).principal
    // The documented step, run by a controller with DFINITY's own CLI.
    const icp = await icpCli(t)
    try {
      await icp.ok('canister', 'settings', 'update', id.toText(), '--add-snapshot-viewer', viewer)
    } finally {
      await icp.close()
    }

    const list = await cli(['list', id.toText(), ...net(), '--json'], { env: { CANISTER_SNAPSHOT_IDENTITY: viewerPem } })
    expect(list.code).toBe(0)
    expect((JSON.parse(list.stdout) as { principal: string; results: { snapshots: { id: string }[] }[] }).results[0]?.snapshots.map((s) => s.id)).toEqual([taken])
    const out = path.join(dir, 'viewer-download')
    const down = await cli(['download', id.toText(), ...net(), '--path', out], { env: { CANISTER_SNAPSHOT_IDENTITY: viewerPem } })
    expect(down.code).toBe(0)
    const snap = await cli(['snapshot', id.toText(), ...net()], { env: { CANISTER_SNAPSHOT_IDENTITY: viewerPem } })
    expect(snap.code).toBe(1)
    expect(snap.stderr).toContain(`Identity ${viewer} may read the snapshots of canister ${id.toText()} (its snapshot_visibility allows it)`)
    expect(snapshotIds(id)).toEqual([taken])
    expect(t.net.canister(id)?.status).toBe('running')
    for (const run of [list, down, snap]) expectNoKey(run, viewerPem)
  })

  it('exits 1 with the fix for a canister it does not control', async () => {
    const foreign = await t.net.createCanister({ controllers: [], wasmModule: await (await import('../emulator/canisters/index.js')).loadCanisterModule('counter_v1') })
    const run = await cli(['snapshot', foreign.toText(), ...net(), '--identity-file', pemFile])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`--add-controller ${t.identity.principal}`)
    expectNoKey(run, t.pem)
  })

  it.each([
    [['snapshot', 'not-a-principal', '--network', 'http://127.0.0.1:1'], /Input 'canister'/],
    [['snapshot', 'rwlgt-iiaaa-aaaaa-aaaaa-cai', '--network', 'http://127.0.0.1:1', '--timeout', 'soon'], /Input 'timeout'/],
    [['delete', 'rwlgt-iiaaa-aaaaa-aaaaa-cai', '--network', 'http://127.0.0.1:1', '--snapshot-id', 'zz'], /Input 'snapshot-id'/]
  ])('exits 2 on bad input %j', async (args, message) => {
    const run = await cli([...args, '--identity-file', pemFile])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
  })

  it('exits 2 without an identity, and never takes one from argv', async () => {
    const run = await cli(['list', 'rwlgt-iiaaa-aaaaa-aaaaa-cai', '--network', 'http://127.0.0.1:1'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/Input 'identity' must be given with --identity-file/)
    const argv = await cli(['list', 'rwlgt-iiaaa-aaaaa-aaaaa-cai', '--identity', t.pem])
    expect(argv.code).toBe(2)
    expect(argv.stderr).toMatch(/unknown option '--identity'/)
  })

  it('ignores age secrets in the environment that the command does not use', async () => {
    const id = await t.createCounter()
    // Not valid age secrets: a command that read them would fail on them.
    const env = { CANISTER_SNAPSHOT_DECRYPT_IDENTITY: 'not-an-age-key', CANISTER_SNAPSHOT_PASSPHRASE: 'unused passphrase' }
    const list = await cli(['list', id.toText(), ...net(), '--identity-file', pemFile], { env })
    expect(list.code).toBe(0)
    expect(list.stdout).toBe(`No snapshots found for canister ${id.toText()}\n`)
    expect((await cli(['snapshot', id.toText(), ...net(), '--identity-file', pemFile], { env })).code).toBe(0)
    const out = path.join(dir, 'download-with-env')
    const down = await cli(['download', id.toText(), ...net(), '--path', out, '--json', '--identity-file', pemFile], {
      env: { CANISTER_SNAPSHOT_DECRYPT_IDENTITY: 'not-an-age-key' }
    })
    expect(down.stderr).not.toContain('not-an-age-key')
    expect(down.code).toBe(0)
    expect((JSON.parse(down.stdout) as { extraOutputs: { path: string } }).extraOutputs.path).toBe(out)
  })

  it('exits 2 naming both variables when an upload could use either age secret', async () => {
    const run = await cli(['upload', 'rwlgt-iiaaa-aaaaa-aaaaa-cai', '--network', 'http://127.0.0.1:1', '--path', path.join(dir, 'none.tar.age'), '--identity-file', pemFile], {
      env: { CANISTER_SNAPSHOT_DECRYPT_IDENTITY: 'AGE-SECRET-KEY-1QQQQ', CANISTER_SNAPSHOT_PASSPHRASE: 'a long enough passphrase' }
    })
    expect(run.code).toBe(2)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/CANISTER_SNAPSHOT_DECRYPT_IDENTITY.*CANISTER_SNAPSHOT_PASSPHRASE.*unset/)
    expect(run.stderr).not.toContain('a long enough passphrase')
  })

  it('on Ctrl-C starts the canister it stopped before exiting', async () => {
    const id = await t.createCounter()
    t.net.faults.holdStopping(id, true)
    try {
      const child = spawn(process.execPath, [CLI, 'snapshot', id.toText(), ...net(), '--stop-timeout', '600', '--identity-file', pemFile], {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let stderr = ''
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        // Interrupt once the stop call is under way (the emulator holds the canister in `stopping`).
        const watch = setInterval(() => {
          if (t.net.canister(id)?.status === 'stopping') {
            clearInterval(watch)
            child.kill('SIGINT')
          }
        }, 50)
        child.on('error', reject)
        child.on('close', (c) => {
          clearTimeout(timer)
          clearInterval(watch)
          resolve(c)
        })
      })
      expect(code).toBe(130)
      expect(stderr).toContain('Interrupted: starting the canisters this run stopped before exiting.')
      expect(stderr).toContain(`Started ${id.toText()}.`)
    } finally {
      t.net.faults.holdStopping(id, false)
    }
    expect(t.net.canister(id)?.status).toBe('running')
  })

  it('reports an unreachable network in one line', async () => {
    const run = await cli(['list', 'rwlgt-iiaaa-aaaaa-aaaaa-cai', '--network', 'http://127.0.0.1:1', '--root-key', t.net.rootKeyHex, '--identity-file', pemFile])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/Cannot reach the IC network at http:\/\/127.0.0.1:1/)
  })
})
