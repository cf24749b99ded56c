/**
 * The backup format without a network: `metadata.json` as icp writes and reads it, the inputs of
 * download/upload, the tar archive (and what extraction refuses) and age encryption.
 */
import { describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { generateX25519Identity, identityToRecipient } from 'age-encryption'
import { extractArchive, writeArchive } from '../src/core/backup/archive.js'
import { parseLosslessJson, JsonNumber } from '../src/core/backup/lossless-json.js'
import { parseMetadataJson, renderMetadataJson } from '../src/core/backup/metadata-json.js'
import { checkIdentities, checkRecipients } from '../src/core/backup/age-keys.js'
import { DEFAULT_TRANSFER_CONCURRENCY } from '../src/core/backup/options.js'
import { parseDownloadOptions } from '../src/core/operations/download.js'
import { parseUploadOptions, upload } from '../src/core/operations/upload.js'
import type { SnapshotMetadata } from '../src/core/transfer/client.js'

const execFileAsync = promisify(execFile)

const sample: SnapshotMetadata = {
  source: { takenFromCanister: null },
  takenAtTimestamp: 1795614120774000123n,
  wasmModuleSize: 1141n,
  globals: [{ i32: -5 }, { i64: -(1n << 62n) }, { f32: Math.fround(0.1) }, { f64: 2 }, { v128: (1n << 100n) + 7n }],
  wasmMemorySize: 1179648n,
  stableMemorySize: 0n,
  wasmChunkStore: [{ hash: new Uint8Array(32).fill(7) }],
  canisterVersion: 2n,
  certifiedData: Uint8Array.from([1, 255]),
  globalTimer: { active: 18446744073709551615n },
  onLowWasmMemoryHookStatus: { conditionNotSatisfied: null }
}

function read(map: Record<string, string>): (name: string) => string {
  return (name) => map[name] ?? ''
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'backup-unit-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('metadata.json', () => {
  it('renders exactly what icp 1.5.0 writes for a taken snapshot', () => {
    // Captured from `icp canister snapshot download` against the emulator.
    const icp =
      '{\n  "source": {\n    "taken_from_canister": null\n  },\n  "taken_at_timestamp": 1795614120774000000,\n  "wasm_module_size": 1141,\n  "globals": [],\n  "wasm_memory_size": 1179648,\n  "stable_memory_size": 1048576,\n  "wasm_chunk_store": [],\n  "canister_version": 2,\n  "certified_data": [],\n  "global_timer": "inactive",\n  "on_low_wasm_memory_hook_status": "condition_not_satisfied"\n}'
    const parsed = parseMetadataJson(icp, 'metadata.json')
    expect(parsed.takenAtTimestamp).toBe(1795614120774000000n)
    expect(renderMetadataJson(parsed)).toBe(icp)
  })

  it('keeps u64 timestamps, i64 and v128 globals and f32 values exact through a round trip', () => {
    const text = renderMetadataJson(sample)
    expect(text).toContain('"taken_at_timestamp": 1795614120774000123')
    expect(text).toContain('"f32": 0.1\n')
    expect(text).toContain('"f64": 2.0\n')
    expect(text).toContain(`"v128": "${(1n << 100n) + 7n}"`)
    expect(parseMetadataJson(text, 'm.json')).toEqual(sample)
  })

  it('reads the forms icp accepts: no source, a v128 as a number or string, no optional fields', () => {
    const meta = parseMetadataJson(
      '{"taken_at_timestamp":1,"wasm_module_size":2,"globals":[{"v128":12},{"v128":"13"}],"wasm_memory_size":0,"stable_memory_size":0,"wasm_chunk_store":[],"canister_version":3,"certified_data":[]}',
      'm.json'
    )
    expect(meta.globals).toEqual([{ v128: 12n }, { v128: 13n }])
    expect(meta.source).toEqual({ takenFromCanister: null })
    expect(meta.globalTimer).toBeUndefined()
  })

  it.each([
    ['{', /m\.json is not valid JSON/],
    ['{"taken_at_timestamp": -1}', /field 'taken_at_timestamp' must be an unsigned 64-bit integer/],
    [renderMetadataJson(sample).replace('"i32": -5', '"i32": 4294967296'), /field 'globals\[0\]' must be an integer in the i32 range/],
    [renderMetadataJson(sample).replace('"global_timer": {', '"global_timer": "sometimes", "x": {'), /field 'global_timer'/],
    [renderMetadataJson({ ...sample, wasmChunkStore: [{ hash: new Uint8Array(3) }] }), /'wasm_chunk_store\[0\]\.hash' must be a 32-byte SHA-256/]
  ])('refuses malformed metadata and names the field: %#', (text, message) => {
    expect(() => parseMetadataJson(text, 'm.json')).toThrow(message)
  })

  it('parses JSON without losing integers beyond 2^53', () => {
    const value = parseLosslessJson('{"a": [18446744073709551615, -1.5e3, "x\\"y", true, null]}') as { a: unknown[] }
    expect(value.a[0]).toEqual(new JsonNumber('18446744073709551615'))
    expect(value.a.slice(2)).toEqual(['x"y', true, null])
    expect(() => parseLosslessJson('[1] 2')).toThrow(/trailing characters/)
  })
})

const identity = await generateX25519Identity()
const recipient = await identityToRecipient(await generateX25519Identity())

describe('age keys, checked by age-encryption before anything is sent', () => {
  it('accepts what age-keygen makes and names the entry that is not a key', async () => {
    await expect(checkRecipients([recipient, await identityToRecipient(identity)])).resolves.toBeUndefined()
    await expect(checkIdentities([identity])).resolves.toBeUndefined()
    await expect(checkRecipients([recipient, 'age1notakey'])).rejects.toThrow(
      "Input 'encrypt-recipients' must be age public keys (age1…, from `age-keygen -y`); entry 2 is not one: bad character 'o'."
    )
  })

  it.each([
    ['ssh-ed25519', /entry 1 is not one: an SSH key/],
    ['age1', /entry 1 is not one: it is too short or too long/],
    [`${recipient.slice(0, -1)}${recipient.endsWith('q') ? 'p' : 'q'}`, /entry 1 is not one: its checksum does not match/],
    [recipient.slice(0, 20), /entry 1 is not one: its checksum does not match/],
    [`${recipient.slice(0, 4)}${recipient.slice(4, 10).toUpperCase()}${recipient.slice(10)}`, /entry 1 is not one: it mixes upper and lower case/],
    ['AGE-SECRET-KEY-1QQQQ', /entry 1 is not one: it does not start with 'age1'/]
  ])('refuses the recipient %j with a reason', async (value, message) => {
    await expect(checkRecipients([value])).rejects.toThrow(message)
  })

  it.each([
    [recipient, /entry 1 is not one: it does not start with 'AGE-SECRET-KEY-1'/],
    [`${identity.slice(0, -1)}${identity.endsWith('Q') ? 'P' : 'Q'}`, /entry 1 is not one: its checksum does not match/],
    [identity.replace(/.$/, 'O'), /entry 1 is not one: a character outside the bech32 alphabet/]
  ])('refuses a secret key by position without quoting it: %#', async (value, message) => {
    const error = (await checkIdentities([identity, value]).catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(message.source.replace('entry 1', 'entry 2'))
    expect(error.message).toMatch(/^Input 'decrypt-identity' must be age secret keys .*\(the value is not shown: it is a secret\)\.$/)
    expect(error.message).not.toContain(value.slice(16, 40))
  })
})

describe('download and upload inputs', () => {
  it('parse into typed options with defaults', () => {
    expect(parseDownloadOptions(read({ path: 'backup' }))).toEqual({
      snapshot: { kind: 'latest' },
      path: 'backup',
      archive: false,
      encryption: undefined,
      concurrency: DEFAULT_TRANSFER_CONCURRENCY,
      resume: false
    })
    expect(parseDownloadOptions(read({ path: 'b' })).concurrency).toBe(DEFAULT_TRANSFER_CONCURRENCY)
    expect(parseDownloadOptions(read({ path: 'b', 'snapshot-id': 'new', 'encrypt-recipients': 'age1abc\n# ops team\nage1def', concurrency: '4' }))).toMatchObject({
      snapshot: { kind: 'new' },
      archive: true,
      encryption: { recipients: ['age1abc', 'age1def'] },
      concurrency: 4
    })
    expect(parseUploadOptions(read({ path: 'b.tar.age', 'decrypt-identity': '# created: today\nAGE-SECRET-KEY-1ABC\n', load: 'true', replace: '0x' + 'AB'.repeat(18) }))).toEqual({
      path: 'b.tar.age',
      decryption: { identities: ['AGE-SECRET-KEY-1ABC'] },
      replace: 'ab'.repeat(18),
      load: true,
      concurrency: DEFAULT_TRANSFER_CONCURRENCY,
      resume: false
    })
  })

  it.each([
    [{}, /Input 'path' must be a directory/],
    [{ path: 'b', concurrency: '0' }, /Input 'concurrency' must be an integer from 1 to 64/],
    [{ path: 'b', 'snapshot-id': 'yesterday' }, /Input 'snapshot-id' must be a snapshot ID/],
    [{ path: 'b', 'encrypt-passphrase': ' '.repeat(16) }, /Input 'encrypt-passphrase' must be a passphrase of at least 12 characters, not only spaces/],
    [{ path: 'b', 'encrypt-recipients': 'age1abc', 'encrypt-passphrase': 'long enough passphrase' }, /Input 'encrypt-passphrase' must be left empty/],
    [{ path: 'b', 'encrypt-recipients': 'age1abc', archive: 'false' }, /Input 'archive' must be 'true' \(or unset\) when encrypting/],
    [{ path: 'b', load: 'true' }, /Input 'load' must be empty for 'operation: download'/],
    [{ path: 'b', resume: 'yes' }, /Input 'resume' must be 'true' or 'false'/]
  ])('download refuses bad input and names it: %#', (inputs, message) => {
    expect(() => parseDownloadOptions(read(inputs as Record<string, string>))).toThrow(message)
  })

  it('never echoes a secret in an error', async () => {
    const secret = 'AGE-SECRET-KEY-NOT-VALID-sEcReT'
    const withSecret = parseUploadOptions(read({ path: 'b', 'decrypt-identity': secret }))
    await expect(upload.check?.({ operation: 'upload', ...withSecret, stopTimeoutSeconds: 30 })).rejects.toThrow(/Input 'decrypt-identity'/)
    await expect(checkIdentities([secret])).rejects.not.toThrow(/sEcReT|NOT-VALID/)
    expect(() => parseUploadOptions(read({ path: 'b', 'encrypt-passphrase': '  ' }))).toThrow(/Input 'encrypt-passphrase' must be the passphrase the archive was encrypted with, not only spaces/)
    expect(() => parseDownloadOptions(read({ path: 'b', 'encrypt-passphrase': 'sh-sEcReT' }))).toThrow(/at least 12 characters/)
    expect(() => parseDownloadOptions(read({ path: 'b', 'encrypt-passphrase': 'sh-sEcReT' }))).not.toThrow(/sEcReT/)
    expect(() => parseUploadOptions(read({ path: 'b', 'snapshot-id': 'latest' }))).toThrow(/Input 'snapshot-id' must be empty for 'operation: upload'/)
  })
})

describe('archive and encryption', () => {
  const layout = async (dir: string): Promise<void> => {
    await mkdir(join(dir, 'wasm_chunk_store'), { recursive: true })
    await writeFile(join(dir, 'metadata.json'), '{}')
    await writeFile(join(dir, 'wasm_memory.bin'), Buffer.alloc(300_000, 7))
    await writeFile(join(dir, `wasm_chunk_store/${'a'.repeat(64)}.bin`), 'chunk')
  }
  const files = ['metadata.json', 'wasm_memory.bin', `wasm_chunk_store/${'a'.repeat(64)}.bin`]

  it('round-trips a directory through a plain and an age-encrypted tar', () =>
    withDir(async (dir) => {
      const src = join(dir, 'src')
      await layout(src)
      const identity = await generateX25519Identity()
      for (const keys of [undefined, { recipients: [await identityToRecipient(identity)] }]) {
        const archive = join(dir, keys === undefined ? 'b.tar' : 'b.tar.age')
        await writeArchive(src, files, archive, keys)
        const out = join(dir, `out-${keys === undefined ? 'plain' : 'age'}`)
        await extractArchive(archive, out, keys === undefined ? undefined : { identities: [identity] })
        for (const f of files) expect(await readFile(join(out, f))).toEqual(await readFile(join(src, f)))
      }
    }))

  it('refuses entries outside the snapshot layout, such as a path escaping the directory', () =>
    withDir(async (dir) => {
      await mkdir(join(dir, 'a/b'), { recursive: true })
      await writeFile(join(dir, 'a/evil.txt'), 'x')
      await writeFile(join(dir, 'a/b/metadata.json'), '{}')
      const archive = join(dir, 'evil.tar')
      // GNU tar keeps the `..` when asked to; the archive then tries to write outside its target.
      await execFileAsync('tar', ['-cf', archive, '-C', join(dir, 'a/b'), 'metadata.json', '../evil.txt'])
      const out = join(dir, 'out')
      await expect(extractArchive(archive, out)).rejects.toThrow(/outside the snapshot layout|could not be read/)
      expect(await readdir(dir)).not.toContain('evil.txt')
      expect(await readdir(out).catch(() => [])).not.toContain('evil.txt')
    }))

  it('detects a tampered encrypted archive', () =>
    withDir(async (dir) => {
      const src = join(dir, 'src')
      await layout(src)
      const identity = await generateX25519Identity()
      const archive = join(dir, 'b.tar.age')
      await writeArchive(src, files, archive, { recipients: [await identityToRecipient(identity)] })
      const bytes = await readFile(archive)
      const last = bytes.length - 100
      bytes[last] = (bytes[last] ?? 0) ^ 1
      await writeFile(archive, bytes)
      await expect(extractArchive(archive, join(dir, 'out'), { identities: [identity] })).rejects.toThrow(/corrupted, truncated or altered/)
    }))
})
