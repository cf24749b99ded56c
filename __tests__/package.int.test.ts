/**
 * The CLI as its users get it: `npm pack` of this repository, installed globally into an empty
 * prefix, then the installed `canister-snapshot` run from outside the checkout against the
 * emulator. Proves the tarball carries what the bundle needs at run time (and nothing else), that
 * the package needs nothing from the registry, and that the bin is wired and executable.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runProcess, type ProcessRun } from '../scripts/lib/runner.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'

const REPO = process.cwd()
let t: TestNetwork
let work: string
let bin: string
let packed: { filename: string; files: { path: string }[] }

/**
 * Runs a command with a bare environment (no NODE_OPTIONS from jest, no npm_* variables from the
 * npm that started jest) in `cwd`, asynchronously (the emulator answers from this very process),
 * and fails unless it exits with 0.
 */
async function ok(command: string, args: string[], cwd: string): Promise<ProcessRun> {
  const r = await runProcess(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: path.join(work, 'home'), npm_config_cache: path.join(work, 'npm-cache'), DO_NOT_TRACK: '1' },
    timeoutMs: 90_000
  })
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.exitCode}:\n${r.stderr}${r.stdout}`)
  return r
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'package-test-'))
  await mkdir(path.join(work, 'home'))
  // --ignore-scripts: `prepare` (patch-package) is for this checkout's node_modules, not the tarball.
  const pack = await ok('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO)
  ;[packed] = JSON.parse(pack.stdout) as (typeof packed)[]
  const prefix = path.join(work, 'prefix')
  // --offline: the bundle is the whole program, so the install must need nothing from a registry.
  await ok('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', path.join(work, packed.filename)], work)
  bin = path.join(prefix, 'bin', 'canister-snapshot')
  t = await startTestNetwork()
}, 180_000)

afterAll(async () => {
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('the npm package', () => {
  it('carries the bundled CLI, its licences and the docs, and nothing else', async () => {
    const files = packed.files.map((f) => f.path).sort()
    expect(files).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'SECURITY.md', 'dist/cli/index.js', 'dist/cli/licenses.txt', 'dist/cli/package.json', 'package.json'])
    // ncc inlines mcl-wasm's WebAssembly; a separately emitted .wasm would have to be packed too.
    expect(files.filter((f) => f.endsWith('.wasm'))).toEqual([])
    const manifest = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>
    // Dependencies of the published package would be installed for every user of a bundled file.
    expect(manifest.dependencies).toBeUndefined()
    expect(manifest.optionalDependencies).toBeUndefined()
    expect(manifest.private).toBeUndefined()
  })

  it('installs a working `canister-snapshot` that prints its version and help outside the checkout', async () => {
    const { version } = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string }
    const v = await ok(bin, ['--version'], work)
    expect(v.stdout.trim()).toBe(version)
    const help = await ok(bin, ['--help'], work)
    expect(help.stdout).toMatch(/^Usage: canister-snapshot /)
    for (const command of ['snapshot', 'rollback', 'list', 'delete', 'prune', 'download', 'upload']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'))
    }
  })

  it('lists a canister’s snapshots on the emulator with the installed bin', async () => {
    const id = await t.createCounter()
    const pemFile = path.join(work, 'identity.pem')
    await writeFile(pemFile, t.pem, { mode: 0o600 })
    const net = ['--network', t.net.url, '--root-key', t.net.rootKeyHex, '--identity-file', pemFile]
    await ok(bin, ['snapshot', id.toText(), ...net], work)
    const taken = t.net.canister(id)?.snapshots.map((s) => s.id)
    expect(taken).toHaveLength(1)

    const list = await ok(bin, ['list', id.toText(), ...net, '--json'], work)
    const json = JSON.parse(list.stdout) as { operation: string; results: { canisterId: string; snapshots: { id: string }[] }[] }
    expect(json.operation).toBe('list')
    expect(json.results.map((r) => [r.canisterId, r.snapshots.map((s) => s.id)])).toEqual([[id.toText(), taken]])
  })
})
