/**
 * Security checks on the shipped artefacts (the bundled action and the bundled CLI as processes):
 * no form of the key material, age identities or passphrases in anything a run prints or writes;
 * a pinned root key that the emulator's certificates do not verify against is refused; hostile
 * archives cannot write outside their extraction directory.
 */
import { createPrivateKey } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import { generateIdentity, identityToRecipient } from 'age-encryption'
import { startTestNetwork, type TestNetwork } from '../helpers/emulator.js'
import { TEST_PASSWORD, generateTestKeys } from '../helpers/keys.js'
import { failureOf, filesUnder, networkFingerprint, runAction, runCli, type ActionRun } from './step.js'
import { writeCraftedTar, type CraftedEntry } from './tar-craft.js'

const PASSPHRASE = 'a long passphrase for the nightly backups'
/** Below this length an "encoding" could match ordinary text by chance. */
const MIN_SECRET_FORM = 12

let t: TestNetwork
let work: string
let ageIdentity: string
let ageRecipient: string
const keys = generateTestKeys()

beforeAll(async () => {
  t = await startTestNetwork()
  work = await mkdtemp(join(tmpdir(), 'security-'))
  ageIdentity = await generateIdentity()
  ageRecipient = await identityToRecipient(ageIdentity)
})

afterAll(async () => {
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

/** A secret as it could leak: as given, line by line, and in base64 / base64url / hex. */
function encodings(secret: string | Buffer): string[] {
  const raw = typeof secret === 'string' ? Buffer.from(secret) : secret
  const forms = [raw.toString('base64'), raw.toString('base64url'), raw.toString('hex'), raw.toString('hex').toUpperCase()]
  if (typeof secret === 'string') forms.push(secret, ...secret.split('\n').map((l) => l.trim()))
  return forms
}

/** Every form of the PEM's key material: the PEM, its body, the DER and the raw private scalar. */
function keyForms(pem: string, password?: string): string[] {
  const key = createPrivateKey(password === undefined ? pem : { key: pem, passphrase: password })
  const der = key.export({ format: 'der', type: 'pkcs8' })
  const d = Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url')
  const body = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'))
  return [...encodings(pem.trim()), body.join(''), ...encodings(der), ...encodings(d)]
}

function secretsOf(extra: { pem?: string; password?: string } = {}): string[] {
  const forms = [
    ...keyForms(extra.pem ?? t.pem, extra.password),
    ...encodings(ageIdentity),
    ...encodings(PASSPHRASE),
    ...(extra.password === undefined ? [] : encodings(extra.password))
  ]
  return [...new Set(forms.filter((f) => f.length >= MIN_SECRET_FORM))]
}

/** The runner consumes `::add-mask::` lines and never shows them: the one place a secret may appear. */
function visible(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
}

async function leaks(places: Record<string, string | Buffer>, secrets: string[]): Promise<string[]> {
  const found: string[] = []
  for (const [where, content] of Object.entries(places)) {
    const text = typeof content === 'string' ? content : content.toString('latin1')
    for (const secret of secrets) if (text.includes(secret)) found.push(`${where} contains a form of a secret (${secret.slice(0, 6)}…)`)
  }
  return found
}

async function actionLeaks(workspace: string, run: ActionRun, secrets: string[]): Promise<string[]> {
  const files = Object.fromEntries((await filesUnder(workspace)).map((file) => [file.path, file.content]))
  return leaks({ stdout: visible(run.stdout), stderr: run.stderr, ...files }, secrets)
}

function base(canister: Principal, extra: Record<string, string> = {}): Record<string, string> {
  return { canister: canister.toText(), network: t.net.url, 'root-key': t.net.rootKeyHex, identity: t.pem, ...extra }
}

describe('secrets never leave the process', () => {
  it('the bundled action: every operation, main and post step, all outputs and files', async () => {
    const id = await t.createCounter()
    const ws = await mkdtemp(join(work, 'action-'))
    const secrets = secretsOf()
    const runs: ActionRun[] = []
    const step = async (inputs: Record<string, string>): Promise<ActionRun> => {
      const run = await runAction(ws, inputs)
      runs.push(run, await runAction(ws, inputs, run.state))
      return run
    }
    const snap = await step(base(id))
    expect(snap.exitCode).toBe(0)
    expect(snap.stdout).toContain('::add-mask::')
    await step(base(id, { operation: 'list' }))
    await step(base(id, { operation: 'rollback', 'snapshot-id': 'latest' }))
    await step(base(id, { operation: 'download', 'snapshot-id': 'latest', path: 'enc-recipients', 'encrypt-recipients': ageRecipient }))
    const byPassphrase = await step(base(id, { operation: 'download', 'snapshot-id': 'latest', path: 'enc-passphrase', 'encrypt-passphrase': PASSPHRASE }))
    const target = await t.createCounter()
    await step(base(target, { operation: 'upload', path: 'enc-recipients.tar.age', 'decrypt-identity': ageIdentity }))
    await step(base(target, { operation: 'upload', path: byPassphrase.outputs.path ?? 'enc-passphrase.tar.age', 'encrypt-passphrase': PASSPHRASE }))
    await step(base(id, { operation: 'prune', keep: '1' }))
    await step(base(id, { operation: 'delete', 'snapshot-id': 'latest' }))
    // A failing step prints the most: its error must not carry a secret either.
    await step(base(id, { operation: 'upload', path: 'enc-recipients.tar.age', 'decrypt-identity': (await generateIdentity()).replace(/.$/, 'Q') }))

    const found: string[] = []
    for (const run of runs) found.push(...(await actionLeaks(ws, run, secrets)))
    expect(found).toEqual([])
    expect(runs.every((r) => !r.stdout.includes('identity-password'))).toBe(true)
  })

  it('an encrypted identity: neither the key nor its password leaks', async () => {
    const id = await t.createCounter()
    const ws = await mkdtemp(join(work, 'encrypted-'))
    const secrets = secretsOf({ pem: keys.encryptedPkcs8, password: TEST_PASSWORD })
    // The encrypted key is not a controller: the step fails, and its message names the principal only.
    const run = await runAction(ws, base(id, { identity: keys.encryptedPkcs8, 'identity-password': TEST_PASSWORD }))
    expect(run.exitCode).not.toBe(0)
    expect(failureOf(run.stdout)).toMatch(/not a controller/)
    expect(await actionLeaks(ws, run, secrets)).toEqual([])
  })

  it('the bundled CLI: every operation, identity and secrets from the environment', async () => {
    const id = await t.createCounter()
    const ws = await mkdtemp(join(work, 'cli-'))
    const secrets = secretsOf()
    // Each command gets the secrets it uses, from the environment, as a shell session would.
    const identityEnv = { CANISTER_SNAPSHOT_IDENTITY: t.pem }
    const passphraseEnv = { ...identityEnv, CANISTER_SNAPSHOT_PASSPHRASE: PASSPHRASE }
    const decryptEnv = { ...identityEnv, CANISTER_SNAPSHOT_DECRYPT_IDENTITY: ageIdentity }
    const net = ['-n', t.net.url, '-k', t.net.rootKeyHex]
    const target = await t.createCounter()
    const commands: [string[], Record<string, string>][] = [
      [['snapshot', id.toText(), ...net], identityEnv],
      [['list', id.toText(), ...net, '--json'], identityEnv],
      [['rollback', id.toText(), ...net, '--snapshot-id', 'latest'], identityEnv],
      [['download', id.toText(), ...net, '--snapshot-id', 'latest', '--path', 'by-passphrase', '--archive'], passphraseEnv],
      [['upload', target.toText(), ...net, '--path', 'by-passphrase.tar.age', '--load'], passphraseEnv],
      [['download', id.toText(), ...net, '--snapshot-id', 'latest', '--path', 'by-recipient', '--archive', '--encrypt-recipients', ageRecipient], identityEnv],
      [['upload', target.toText(), ...net, '--path', 'by-recipient.tar.age'], decryptEnv],
      [['prune', id.toText(), ...net, '--keep', '1'], identityEnv],
      [['delete', id.toText(), ...net, '--snapshot-id', 'latest', '-v'], identityEnv]
    ]
    const found: string[] = []
    const failures: string[] = []
    for (const [args, env] of commands) {
      const run = await runCli(args, env, { cwd: ws })
      if (run.exitCode !== 0) failures.push(`${args[0]} exited with ${run.exitCode}: ${run.stderr.trim().split('\n').at(-1) ?? ''}`)
      found.push(...(await leaks({ [`${args[0]} stdout`]: run.stdout, [`${args[0]} stderr`]: run.stderr }, secrets)))
    }
    expect(failures).toEqual([])
    const files = Object.fromEntries((await filesUnder(ws)).map((file) => [file.path, file.content]))
    found.push(...(await leaks(files, secrets)))
    expect(Object.keys(files).length).toBeGreaterThan(0)
    expect(found).toEqual([])
  })
})

describe('the root key is pinned', () => {
  it("refuses a network whose certificates do not verify against 'root-key: mainnet'", async () => {
    const id = await t.createCounter()
    const before = networkFingerprint(t.net, [id])
    const run = await runAction(await mkdtemp(join(work, 'mainnet-key-')), base(id, { 'root-key': 'mainnet' }))
    expect(run.exitCode).not.toBe(0)
    const message = failureOf(run.stdout) ?? ''
    expect(message).toMatch(/root key/i)
    expect(message).toMatch(/'root-key'/)
    expect(message).not.toMatch(/%0A/)
    expect(networkFingerprint(t.net, [id])).toBe(before)
    expect(t.net.canister(id)?.snapshots).toEqual([])
  })

  it("never fetches a key for network 'ic'", async () => {
    const id = await t.createCounter()
    const run = await runAction(await mkdtemp(join(work, 'ic-fetch-')), base(id, { network: 'ic', 'root-key': 'fetch' }))
    expect(run.exitCode).not.toBe(0)
    expect(failureOf(run.stdout)).toMatch(/'root-key'.*mainnet/)
  })

  it('the CLI refuses the mismatch too', async () => {
    const id = await t.createCounter()
    const run = await runCli(['snapshot', id.toText(), '-n', t.net.url, '-k', 'mainnet'], { CANISTER_SNAPSHOT_IDENTITY: t.pem })
    expect(run.exitCode).not.toBe(0)
    expect(run.stderr).toMatch(/root key/i)
    expect(t.net.canister(id)?.snapshots).toEqual([])
  })
})

describe('archives cannot write outside their target directory', () => {
  const hostile: Record<string, (outside: string) => CraftedEntry[]> = {
    'a ../ entry': () => [{ name: '../../escaped-dotdot.txt', type: '0', content: Buffer.from('x') }],
    'an absolute path': (outside) => [{ name: join(outside, 'escaped-absolute.txt'), type: '0', content: Buffer.from('x') }],
    'a symlink to a directory outside, then a file through it': (outside) => [
      { name: 'wasm_chunk_store', type: '2', linkname: outside },
      { name: 'wasm_chunk_store/escaped-symlink.bin', type: '0', content: Buffer.from('x') }
    ],
    'a symlink over a layout file pointing outside': (outside) => [
      { name: 'metadata.json', type: '2', linkname: join(outside, 'victim.txt') },
      { name: 'metadata.json', type: '0', content: Buffer.from('overwritten') }
    ],
    'a hard link to a file outside': (outside) => [
      { name: 'wasm_module.bin', type: '1', linkname: join(outside, 'victim.txt') },
      { name: 'wasm_module.bin', type: '0', content: Buffer.from('overwritten') }
    ]
  }

  it.each(Object.keys(hostile))('%s', async (name) => {
    const id = await t.createCounter()
    const root = await mkdtemp(join(work, 'archive-'))
    const outside = join(root, 'outside')
    const ws = join(root, 'a', 'b', 'ws')
    await mkdir(outside, { recursive: true })
    await mkdir(ws, { recursive: true })
    await writeFile(join(outside, 'victim.txt'), 'original')
    const archive = join(ws, 'backup.tar')
    await writeCraftedTar(archive, (hostile[name] as (o: string) => CraftedEntry[])(outside))
    const before = networkFingerprint(t.net, [id])

    const run = await runAction(ws, base(id, { operation: 'upload', path: archive }))

    expect(run.exitCode).not.toBe(0)
    expect(failureOf(run.stdout)).toMatch(/backup\.tar/)
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('original')
    const escaped = (await filesUnder(root)).filter((f) => /escaped-/.test(f.path))
    expect(escaped.map((f) => f.path)).toEqual([])
    expect(existsSync(join(root, 'a', 'escaped-dotdot.txt'))).toBe(false)
    expect(networkFingerprint(t.net, [id])).toBe(before)
  })
})
