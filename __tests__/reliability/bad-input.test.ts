/**
 * The bad-input table: every case runs the bundled action (`dist/index.js`) as a runner would and
 * must fail with ONE line that names the input and says what to do, and the emulator's canisters
 * must be exactly as before (status, version, module, controllers, snapshots).
 */
import { generateKeyPairSync } from 'node:crypto'
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import { generateX25519Identity, identityToRecipient } from 'age-encryption'
import { Emulator } from '../../emulator/src/index.js'
import { MANIFEST_FILE } from '../../src/core/backup/layout.js'
import { runDownload } from '../../src/core/commands/download.js'
import { startTestNetwork, type TestNetwork } from '../helpers/emulator.js'
import { TEST_PASSWORD, generateTestKeys } from '../helpers/keys.js'
import { failureOf, filesUnder, networkFingerprint, runAction } from './step.js'
import { writeCraftedTar } from './tar-craft.js'

interface BadInputCase {
  name: string
  inputs: (f: Fixture) => Record<string, string>
  /** The input the message must name. */
  input: string
  /** How the message names it when it names the input's value instead (a file inside `path`). */
  names?: RegExp
  /** What the message must say to do (or what it must identify). */
  fix: RegExp
  /** A secret given in the inputs that the message must not contain. */
  secret?: (f: Fixture) => string
}

interface Fixture {
  t: TestNetwork
  /** Two snapshots. */
  a: Principal
  /** No snapshot. */
  b: Principal
  aSnapshots: string[]
  otherSnapshot: string
  work: string
  backup: string
  base: Record<string, string>
}

let f: Fixture

/** An ID of canister `a` with a counter it never reached. */
function missingSnapshotOf(x: Fixture): string {
  return `00000000000000ff${(x.aSnapshots[0] as string).slice(16)}`
}

/** A valid principal with its last character changed: the checksum no longer matches. */
function breakChecksum(id: string): string {
  const last = id.at(-1) === 'a' ? 'b' : 'a'
  return `${id.slice(0, -1)}${last}`
}

async function copyBackup(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(f.work, name)
  await cp(f.backup, dir, { recursive: true })
  await edit(dir)
  return dir
}

async function editManifest(dir: string, edit: (m: { files: { path: string; sha256: string; bytes: number }[] }) => void): Promise<void> {
  const file = join(dir, MANIFEST_FILE)
  const manifest = JSON.parse(await readFile(file, 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] }
  edit(manifest)
  await writeFile(file, JSON.stringify(manifest, null, 2))
}

const keys = generateTestKeys()
const pem = (type: 'rsa' | 'p384' | 'ed448'): string => {
  const key =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      : type === 'p384'
        ? generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey
        : generateKeyPairSync('ed448').privateKey
  return key.export({ format: 'pem', type: 'pkcs8' }).toString()
}

const CASES: BadInputCase[] = [
  { name: 'identity empty', inputs: (x) => ({ ...x.base, identity: '' }), input: 'identity', fix: /PEM/ },
  { name: 'identity is not a PEM', inputs: (x) => ({ ...x.base, identity: 'my secret key' }), input: 'identity', fix: /PRIVATE KEY/ },
  {
    name: 'identity PEM truncated',
    inputs: (x) => ({ ...x.base, identity: x.t.pem.slice(0, Math.floor(x.t.pem.length / 2)) }),
    input: 'identity',
    fix: /PEM|PRIVATE KEY/
  },
  {
    name: 'identity PEM body corrupted',
    inputs: (x) => ({ ...x.base, identity: x.t.pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!') }),
    input: 'identity',
    fix: /PEM|decoded/
  },
  { name: 'identity on the wrong curve (P-384)', inputs: (x) => ({ ...x.base, identity: pem('p384') }), input: 'identity', fix: /secp256k1 or P-256/ },
  { name: 'identity is an RSA key', inputs: (x) => ({ ...x.base, identity: pem('rsa') }), input: 'identity', fix: /RSA|secp256k1|Ed25519/i },
  { name: 'identity is an Ed448 key', inputs: (x) => ({ ...x.base, identity: pem('ed448') }), input: 'identity', fix: /ED448|Ed25519|secp256k1/i },
  { name: 'encrypted identity without password', inputs: (x) => ({ ...x.base, identity: keys.encryptedPkcs8 }), input: 'identity-password', fix: /encrypted/i },
  {
    name: 'encrypted identity with the wrong password',
    inputs: (x) => ({ ...x.base, identity: keys.encryptedPkcs8, 'identity-password': `${TEST_PASSWORD}!` }),
    input: 'identity-password',
    fix: /password/
  },
  { name: 'canister empty', inputs: (x) => ({ ...x.base, canister: '' }), input: 'canister', fix: /principal|canister/ },
  { name: 'canister principal with a bad checksum', inputs: (x) => ({ ...x.base, canister: breakChecksum(x.a.toText()) }), input: 'canister', fix: /checksum/ },
  { name: 'canister unknown name', inputs: (x) => ({ ...x.base, canister: 'backend' }), input: 'canister', fix: /backend/ },
  { name: 'canister listed twice', inputs: (x) => ({ ...x.base, canister: `${x.a.toText()}\n${x.a.toText()}` }), input: 'canister', fix: /duplicate/i },
  { name: 'canister is a user principal', inputs: (x) => ({ ...x.base, canister: x.t.identity.principal }), input: 'canister', fix: /canister ID/ },
  { name: 'unknown operation', inputs: (x) => ({ ...x.base, operation: 'backup' }), input: 'operation', fix: /snapshot.*rollback/ },
  { name: 'rollback without snapshot-id', inputs: (x) => ({ ...x.base, operation: 'rollback' }), input: 'snapshot-id', fix: /latest/ },
  { name: 'snapshot-id of the wrong length', inputs: (x) => ({ ...x.base, operation: 'rollback', 'snapshot-id': '0000000000000001' }), input: 'snapshot-id', fix: /hex|list/ },
  { name: 'snapshot-id not hex', inputs: (x) => ({ ...x.base, operation: 'delete', 'snapshot-id': 'z'.repeat(36) }), input: 'snapshot-id', fix: /hex|list/ },
  {
    name: 'snapshot-id of another canister',
    inputs: (x) => ({ ...x.base, operation: 'rollback', 'snapshot-id': x.otherSnapshot }),
    input: 'snapshot-id',
    fix: /belong|another canister|list/
  },
  { name: "'latest' with no snapshot", inputs: (x) => ({ ...x.base, canister: x.b.toText(), operation: 'rollback', 'snapshot-id': 'latest' }), input: 'snapshot', fix: /list/ },
  { name: 'replace on a rollback', inputs: (x) => ({ ...x.base, operation: 'rollback', 'snapshot-id': 'latest', replace: x.aSnapshots[0] as string }), input: 'replace', fix: /empty/ },
  { name: 'keep: 0', inputs: (x) => ({ ...x.base, keep: '0' }), input: 'keep', fix: /1.*10/ },
  { name: 'keep: 11', inputs: (x) => ({ ...x.base, keep: '11' }), input: 'keep', fix: /1.*10/ },
  { name: 'max-age not a duration', inputs: (x) => ({ ...x.base, operation: 'prune', 'max-age': 'two weeks' }), input: 'max-age', fix: /14d|\dd/ },
  { name: 'max-age negative', inputs: (x) => ({ ...x.base, operation: 'prune', 'max-age': '-3d' }), input: 'max-age', fix: /14d|\dd/ },
  { name: 'network is not a URL', inputs: (x) => ({ ...x.base, network: 'my laptop' }), input: 'network', fix: /http/ },
  { name: 'network with another scheme', inputs: (x) => ({ ...x.base, network: 'ftp://127.0.0.1:4943' }), input: 'network', fix: /http/ },
  {
    name: 'http:// non-loopback network without a root key',
    inputs: (x) => ({ ...x.base, network: 'http://10.11.12.13:4943', 'root-key': '' }),
    input: 'root-key',
    fix: /mainnet|fetch/
  },
  { name: 'root key not hex', inputs: (x) => ({ ...x.base, 'root-key': 'abcd' }), input: 'root-key', fix: /hex|mainnet|fetch/ },
  {
    name: 'root key of another network',
    inputs: (x) => ({ ...x.base, 'root-key': OTHER_ROOT_KEY }),
    input: 'root-key',
    fix: /verify|root key/i
  },
  { name: 'timeout not a number', inputs: (x) => ({ ...x.base, timeout: 'ten minutes' }), input: 'timeout', fix: /whole number|integer/ },
  { name: 'stop not a boolean', inputs: (x) => ({ ...x.base, stop: 'maybe' }), input: 'stop', fix: /true.*false/ },
  { name: 'concurrency 0', inputs: (x) => ({ ...x.base, concurrency: '0' }), input: 'concurrency', fix: /1/ },
  { name: 'dry-run not a boolean', inputs: (x) => ({ ...x.base, 'dry-run': 'yes' }), input: 'dry-run', fix: /true.*false/ },
  { name: 'copy without from-canister', inputs: (x) => ({ ...x.base, operation: 'copy' }), input: 'from-canister', fix: /principal or project name/ },
  { name: 'copy from the canister itself', inputs: (x) => ({ ...x.base, operation: 'copy', 'from-canister': x.a.toText() }), input: 'from-canister', fix: /another canister.*rollback/ },
  { name: 'copy from an unknown canister name', inputs: (x) => ({ ...x.base, operation: 'copy', 'from-canister': 'frontend' }), input: 'from-canister', fix: /frontend/ },
  {
    name: 'copy of a snapshot ID of another canister than from-canister',
    inputs: (x) => ({ ...x.base, canister: x.b.toText(), operation: 'copy', 'from-canister': x.a.toText(), 'snapshot-id': x.otherSnapshot }),
    input: 'snapshot-id',
    fix: /belongs to/
  },
  {
    name: 'copy of a snapshot ID from-canister does not have',
    inputs: (x) => ({ ...x.base, canister: x.b.toText(), operation: 'copy', 'from-canister': x.a.toText(), 'snapshot-id': missingSnapshotOf(x) }),
    input: 'snapshot-id',
    fix: /operation: list/
  },
  { name: 'canister-ids file missing', inputs: (x) => ({ ...x.base, canister: 'backend', 'canister-ids': join(x.work, 'nope.json') }), input: 'canister-ids', fix: /nope\.json/ },
  { name: 'upload path missing', inputs: (x) => ({ ...x.base, operation: 'upload', path: join(x.work, 'no-such-backup') }), input: 'path', fix: /no-such-backup/ },
  {
    name: 'upload of a backup whose manifest does not match a file',
    inputs: (x) => ({ ...x.base, operation: 'upload', path: join(x.work, 'tampered') }),
    input: 'path',
    names: /tampered\/wasm_module\.bin/,
    fix: /again|another copy|re-?download/i
  },
  {
    name: 'upload of a truncated backup file',
    inputs: (x) => ({ ...x.base, operation: 'upload', path: join(x.work, 'truncated') }),
    input: 'path',
    names: /truncated\/wasm_memory\.bin/,
    fix: /again|another copy|re-?download|resume/i
  },
  {
    name: 'upload of a backup whose manifest points outside the directory',
    inputs: (x) => ({ ...x.base, operation: 'upload', path: join(x.work, 'traversal') }),
    input: 'path',
    names: /traversal/,
    fix: /\.\.\/|outside|not listed|manifest/
  },
  {
    name: 'upload of a backup with oversized metadata',
    inputs: (x) => ({ ...x.base, operation: 'upload', path: join(x.work, 'oversized') }),
    input: 'path',
    names: /oversized\/metadata\.json/,
    fix: /again|another copy|re-?download/i
  },
  {
    name: 'upload of an archive with a ../ entry',
    inputs: (x) => ({ ...x.base, operation: 'upload', path: join(x.work, 'evil.tar') }),
    input: 'path',
    names: /evil\.tar/,
    fix: /refus/
  },
  {
    name: 'encrypt-recipients with a bad character, network unreachable',
    inputs: (x) => ({ ...offline(x), operation: 'download', path: join(x.work, 'out'), 'encrypt-recipients': 'age1notakey' }),
    input: 'encrypt-recipients',
    fix: /age1….*age-keygen -y.*entry 1 is not one: bad character 'o'/
  },
  {
    name: 'encrypt-recipients whose second key has a typo, network unreachable',
    inputs: (x) => ({ ...offline(x), operation: 'download', path: join(x.work, 'out'), 'encrypt-recipients': `${AGE.recipient}\n${typo(AGE.recipient)}` }),
    input: 'encrypt-recipients',
    fix: /entry 2 is not one: its checksum does not match/
  },
  {
    name: 'decrypt-identity with a typo, network unreachable',
    inputs: (x) => ({ ...offline(x), operation: 'upload', path: join(x.work, 'evil.tar'), 'decrypt-identity': `# created: today\n${typo(AGE.identity)}\n` }),
    input: 'decrypt-identity',
    fix: /AGE-SECRET-KEY-1….*entry 1 is not one: its checksum does not match.*not shown/,
    secret: () => typo(AGE.identity).slice('AGE-SECRET-KEY-1'.length)
  },
  {
    name: 'encrypt-passphrase of spaces only, network unreachable',
    inputs: (x) => ({ ...offline(x), operation: 'download', path: join(x.work, 'out'), 'encrypt-passphrase': ' '.repeat(16) }),
    input: 'encrypt-passphrase',
    fix: /not only spaces/
  },
  {
    name: 'upload encrypt-passphrase of spaces only, network unreachable',
    inputs: (x) => ({ ...offline(x), operation: 'upload', path: join(x.work, 'evil.tar'), 'encrypt-passphrase': '\t  ' }),
    input: 'encrypt-passphrase',
    fix: /not only spaces/
  },
  { name: 'encrypt-passphrase too short', inputs: (x) => ({ ...x.base, operation: 'download', path: join(x.work, 'out'), 'encrypt-passphrase': 'short' }), input: 'encrypt-passphrase', fix: /12 characters/ },
  { name: 'encrypt-recipients not age keys', inputs: (x) => ({ ...x.base, operation: 'download', path: join(x.work, 'out'), 'encrypt-recipients': 'ssh-rsa AAAA' }), input: 'encrypt-recipients', fix: /age1/ },
  { name: 'decrypt-identity not an age key', inputs: (x) => ({ ...x.base, operation: 'upload', path: join(x.work, 'evil.tar'), 'decrypt-identity': 'hunter2hunter2' }), input: 'decrypt-identity', fix: /AGE-SECRET-KEY/ }
]

/**
 * A port nothing listens on: an age input error must still be the step's error, which proves it is
 * found before any request (a request first would fail the step as 'network unreachable').
 */
function offline(x: Fixture): Record<string, string> {
  return { ...x.base, network: 'http://127.0.0.1:9' }
}

/** The key with its last data character changed: still bech32, but the checksum fails. */
function typo(key: string): string {
  const i = key.length - 7
  const swap = key[i] === 'q' || key[i] === 'Q' ? 'p' : 'q'
  return `${key.slice(0, i)}${key === key.toUpperCase() ? swap.toUpperCase() : swap}${key.slice(i + 1)}`
}

const AGE_IDENTITY = await generateX25519Identity()
const AGE = { identity: AGE_IDENTITY, recipient: await identityToRecipient(AGE_IDENTITY) }

/** A root key of a network with another seed: well-formed, but not this emulator's. */
let OTHER_ROOT_KEY = ''

beforeAll(async () => {
  const other = await Emulator.start({ seed: 'some-other-network' })
  OTHER_ROOT_KEY = other.rootKeyHex
  await other.close()
  const t = await startTestNetwork()
  const a = await t.createCounter()
  const b = await t.createCounter()
  const c = await t.createCounter()
  const aSnapshots = [(await t.client.takeSnapshot({ canisterId: a })).id, (await t.client.takeSnapshot({ canisterId: a })).id]
  const otherSnapshot = (await t.client.takeSnapshot({ canisterId: c })).id
  const work = await mkdtemp(join(tmpdir(), 'bad-input-'))
  const backup = join(work, 'backup')
  await runDownload(t.context(), {
    operation: 'download',
    canister: c,
    snapshot: { kind: 'latest' },
    path: backup,
    archive: false,
    encryption: undefined,
    concurrency: 4,
    resume: false,
    stop: true,
    stopTimeoutSeconds: 30,
    network: 'local',
    tool: { name: 'canister-snapshot-action', version: 'test' }
  })
  f = { t, a, b, aSnapshots, otherSnapshot, work, backup, base: { canister: a.toText(), network: t.net.url, 'root-key': t.net.rootKeyHex, identity: t.pem } }
  await copyBackup('tampered', (dir) => editManifest(dir, (m) => m.files.filter((e) => e.path === 'wasm_module.bin').forEach((e) => (e.sha256 = '0'.repeat(64)))))
  await copyBackup('truncated', (dir) => truncate(join(dir, 'wasm_memory.bin'), 1000))
  await copyBackup('traversal', (dir) => editManifest(dir, (m) => m.files.push({ path: '../outside.bin', bytes: 1, sha256: '0'.repeat(64) })))
  await copyBackup('oversized', async (dir) => {
    const file = join(dir, 'metadata.json')
    const metadata = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    // 64 MiB of globals: far beyond what a snapshot's metadata can hold.
    metadata.globals = Array.from({ length: 4_000_000 }, () => ({ i64: '1' }))
    await writeFile(file, JSON.stringify(metadata))
  })
  await writeCraftedTar(join(work, 'evil.tar'), [{ name: '../escaped-by-archive.txt', type: '0', content: Buffer.from('escaped') }])
}, 120_000)

afterAll(async () => {
  await f?.t.close()
  if (f !== undefined) await rm(f.work, { recursive: true, force: true })
})

describe('bad input: the bundled action refuses it in one line and changes nothing', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30)
  })

  it('control for the unreachable-network rows: valid age keys there fail on the network, not on an input', async () => {
    const workspace = await mkdtemp(join(f.work, 'ws-'))
    const run = await runAction(workspace, { ...offline(f), operation: 'download', path: join(workspace, 'out'), 'encrypt-recipients': AGE.recipient, timeout: '5' })
    const message = failureOf(run.stdout)
    expect(run.exitCode).not.toBe(0)
    expect(message).not.toMatch(/^Input /)
    // Unreachable, the step spends its budget on retries: what an age key found after connecting would look like.
    expect(message).toMatch(/unreachable|ECONNREFUSED|did not finish within 5 s/i)
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ids = [f.a, f.b]
    const before = networkFingerprint(f.t.net, ids)
    const workspace = await mkdtemp(join(f.work, 'ws-'))
    const run = await runAction(workspace, c.inputs(f))
    const message = failureOf(run.stdout)
    expect(run.exitCode).not.toBe(0)
    expect(message).toBeDefined()
    // One line: @actions/core escapes a newline in the message as %0A.
    expect(message).not.toMatch(/%0A|\n/)
    expect(message).toMatch(c.names ?? new RegExp(`\\b${c.input}\\b`))
    expect(message).toMatch(c.fix)
    expect(message).not.toMatch(/\bat \S+ \(.*:\d+:\d+\)/) // no stack trace
    // The runner consumes its `::add-mask::` lines: they are how the secret gets masked.
    const printed = `${run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n')}${run.stderr}`
    if (c.secret !== undefined) expect(printed).not.toContain(c.secret(f))
    expect(networkFingerprint(f.t.net, ids)).toBe(before)
    expect((await filesUnder(f.work)).some((file) => file.path.endsWith('escaped-by-archive.txt'))).toBe(false)
  })
})
