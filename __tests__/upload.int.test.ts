/**
 * operation: upload against the emulator over HTTP with the real agent: a 64 MiB heap + 64 MiB
 * stable-memory round trip into a second canister, resume after injected faults, encrypted
 * archives (age; that the `age` CLI opens them is age.interop.test.ts, run by `npm run
 * test:interop`), and backups refused before any network call.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, open, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { Principal } from '@icp-sdk/core/principal'
import { generateX25519Identity, identityToRecipient } from 'age-encryption'
import { runDownload, type DownloadRequest } from '../src/core/commands/download.js'
import { runUpload, type UploadRequest } from '../src/core/commands/upload.js'
import { chunkFiles, MANIFEST_FILE, METADATA_FILE } from '../src/core/backup/layout.js'
import { parseMetadataJson, renderMetadataJson } from '../src/core/backup/metadata-json.js'
import { PROGRESS_FILE } from '../src/core/transfer/progress-file.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { ballastActor, countingContext, downloadRequest, createBallast, createEmptyBallast, tempDir, TEST_RETRY } from './helpers/backup.js'

const execFileAsync = promisify(execFile)

let t: TestNetwork
let work: string

beforeAll(async () => {
  t = await startTestNetwork()
  work = await tempDir('upload-test')
})

afterAll(async () => {
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

/** Downloads here take a new snapshot first, so each test's source state is the one it set up. */
function download(canister: Principal, path: string, extra: Partial<DownloadRequest> = {}): DownloadRequest {
  return downloadRequest(canister, path, { snapshot: { kind: 'new' }, ...extra })
}

function upload(canister: Principal, path: string, extra: Partial<UploadRequest> = {}): UploadRequest {
  return {
    operation: 'upload',
    canister,
    path,
    decryption: undefined,
    replace: undefined,
    load: false,
    concurrency: 8,
    resume: false,
    stopTimeoutSeconds: 30,
    retry: TEST_RETRY,
    ...extra
  }
}

describe('upload', () => {
  it('round-trips 64 MiB of heap and 64 MiB of stable memory into a second canister', async () => {
    const source = await createBallast(t, 64, 64)
    const dir = join(work, 'big')
    const down = await runDownload(t.context({ timeoutSeconds: 300 }), download(source.canisterId, dir, { concurrency: 16 }))
    expect(down.bytes).toBeGreaterThan(128 * 1024 * 1024)

    const target = await createEmptyBallast(t)
    const up = await runUpload(t.context({ timeoutSeconds: 300 }), upload(target, dir, { load: true, concurrency: 16 }))
    expect(up.snapshotId).not.toBe(down.snapshotId)
    expect(up.stats.slicesTransferred).toBe(down.stats.slicesTransferred)
    expect(t.net.canister(target)?.status).toBe('running')
    expect(t.moduleHashOf(target)).toBe(t.moduleHashOf(source.canisterId))
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
  })

  it('restores a counter into another canister with load, and replaces a snapshot', async () => {
    const source = await t.createCounter()
    const counter = t.counter(source)
    for (let i = 0; i < 3; i++) await counter.inc()
    const dir = join(work, 'counter')
    await runDownload(t.context(), download(source, dir))

    const target = await t.createCounter()
    await t.counter(target).set(99n)
    const old = await t.client.takeSnapshot({ canisterId: target })
    const up = await runUpload(t.context(), upload(target, dir, { load: true, replace: old.id }))
    expect(await t.counter(target).get()).toBe(3n)
    const ids = (await t.client.listSnapshots(target)).map((s) => s.id)
    expect(ids).toContain(up.snapshotId)
    expect(ids).not.toContain(old.id)
  })

  it('resumes an interrupted upload without re-sending completed slices, byte-identical', async () => {
    const source = await createBallast(t, 10, 6)
    const dir = join(work, 'resume')
    const down = await runDownload(t.context(), download(source.canisterId, dir))
    const total = down.stats.slicesTransferred
    const target = await createEmptyBallast(t)

    let uploads = 0
    const ctx = t.context()
    const interrupted = {
      ...ctx,
      client: new Proxy(ctx.client, {
        get(target_, prop, receiver) {
          const value: unknown = Reflect.get(target_, prop, receiver)
          if (prop !== 'uploadCanisterSnapshotData' || typeof value !== 'function') return value
          return (...args: unknown[]) => {
            uploads++
            // After a few slices the network fails for longer than the retry budget.
            if (uploads === 4) t.net.faults.failNext({ method: 'upload_canister_snapshot_data', mode: 503, count: 1000 })
            return (value as (...a: unknown[]) => unknown).apply(target_, args)
          }
        }
      })
    }
    await expect(runUpload(interrupted, upload(target, dir, { concurrency: 2 }))).rejects.toThrow()
    t.net.faults.clear()
    const record = JSON.parse(await readFile(join(dir, PROGRESS_FILE), 'utf8')) as { snapshotId: string }

    const { ctx: counted, calls } = countingContext(t.context())
    const second = await runUpload(counted, upload(target, dir, { resume: true, load: true }))
    expect(second.snapshotId).toBe(record.snapshotId)
    expect(calls).not.toContain('uploadCanisterSnapshotMetadata')
    expect(second.stats.slicesResumed).toBeGreaterThan(0)
    expect(second.stats.slicesResumed + second.stats.slicesTransferred).toBe(total)
    expect(calls.filter((c) => c === 'uploadCanisterSnapshotData').length).toBe(second.stats.slicesTransferred)
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
    expect(t.moduleHashOf(target)).toBe(t.moduleHashOf(source.canisterId))
  })

  /**
   * A backup of a few MiB of heap whose snapshot has two Wasm chunk-store entries. The emulator has
   * no `upload_chunk`, so the entries are added to a downloaded directory, which then has no manifest
   * (as an icp or dfx download has none).
   */
  async function backupWithChunks(dir: string): Promise<void> {
    const source = await createBallast(t, 6, 0)
    await runDownload(t.context(), download(source.canisterId, dir))
    const metadataFile = join(dir, METADATA_FILE)
    const metadata = parseMetadataJson(await readFile(metadataFile, 'utf8'), metadataFile)
    const chunks = [1, 2].map((fill) => new Uint8Array(300_000).fill(fill))
    const withChunks = { ...metadata, wasmChunkStore: chunks.map((chunk) => ({ hash: new Uint8Array(createHash('sha256').update(chunk).digest()) })) }
    for (const [index, file] of chunkFiles(dir, withChunks).entries()) {
      await mkdir(dirname(file.path), { recursive: true })
      await writeFile(file.path, chunks[index] ?? new Uint8Array())
    }
    await writeFile(metadataFile, renderMetadataJson(withChunks))
    await rm(join(dir, MANIFEST_FILE))
  }

  it('sends the chunk store first and checks the new snapshot while the slices still move', async () => {
    const dir = join(work, 'chunks')
    await backupWithChunks(dir)
    const target = await createEmptyBallast(t)
    const { ctx, calls } = countingContext(t.context())
    const up = await runUpload(ctx, upload(target, dir, { concurrency: 1 }))
    const data = calls.flatMap((call, index) => (call === 'uploadCanisterSnapshotData' ? [index] : []))
    const check = calls.indexOf('readCanisterSnapshotMetadata')
    // Two chunks, then the check, then the heap's slices (one at a time here).
    expect(data.length).toBeGreaterThan(3)
    expect(check).toBeGreaterThan(data[1] ?? Infinity)
    expect(check).toBeLessThan(data[data.length - 1] ?? -Infinity)
    expect(up.stats.chunksTransferred).toBe(2)
    const remote = await t.client.readCanisterSnapshotMetadata({ canisterId: target, snapshotId: up.snapshotId })
    expect(remote.wasmChunkStore).toHaveLength(2)
  })

  it('fails an upload whose new snapshot does not match the backup, after every slice is sent', async () => {
    const dir = join(work, 'mismatch')
    await backupWithChunks(dir)
    const target = await createEmptyBallast(t)
    const ctx = t.context()
    const client = ctx.client
    // The network reports a chunk store without the uploaded chunks.
    const lying = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'readCanisterSnapshotMetadata') {
          return async (params: Parameters<typeof client.readCanisterSnapshotMetadata>[0]) => ({ ...(await client.readCanisterSnapshotMetadata(params)), wasmChunkStore: [] })
        }
        const value: unknown = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      }
    })
    const { ctx: counted, calls } = countingContext({ ...ctx, client: lying })
    await expect(runUpload(counted, upload(target, dir))).rejects.toThrow(/does not match the backup after the upload/)
    const slices = calls.filter((c) => c === 'uploadCanisterSnapshotData').length
    expect(slices).toBeGreaterThan(3)
  })

  it('encrypts to an age recipient and uploads from the encrypted archive', async () => {
    const source = await createBallast(t, 2, 1)
    const identity = await generateX25519Identity()
    const recipient = await identityToRecipient(identity)
    const dir = join(work, 'encrypted')
    const down = await runDownload(t.context(), download(source.canisterId, dir, { archive: true, encryption: { recipients: [recipient] } }))
    expect(down.path).toBe(`${dir}.tar.age`)
    expect((await readFile(down.path)).subarray(0, 21).toString()).toBe('age-encryption.org/v1')
    expect(createHash('sha256').update(await readFile(down.path)).digest('hex')).toBe(down.sha256)

    const target = await createEmptyBallast(t)
    const up = await runUpload(t.context(), upload(target, down.path, { decryption: { identities: [identity] }, load: true }))
    expect(up.sha256).toBe(down.sha256)
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
  })

  it('refuses a wrong identity or passphrase with a clear message and no network call', async () => {
    const source = await createBallast(t, 1, 0)
    const right = await generateX25519Identity()
    const byKey = await runDownload(t.context(), download(source.canisterId, join(work, 'wrong-key'), { archive: true, encryption: { recipients: [await identityToRecipient(right)] } }))
    const byPass = await runDownload(t.context(), download(source.canisterId, join(work, 'wrong-pass'), { archive: true, encryption: { passphrase: 'correct horse battery staple' } }))
    const target = await createEmptyBallast(t)

    const { ctx, calls } = countingContext(t.context())
    await expect(runUpload(ctx, upload(target, byKey.path, { decryption: { identities: [await generateX25519Identity()] } }))).rejects.toThrow(
      /'decrypt-identity' matches none of its recipients/
    )
    await expect(runUpload(ctx, upload(target, byPass.path, { decryption: { passphrase: 'wrong horse battery staple' } }))).rejects.toThrow(/the passphrase is wrong/)
    await expect(runUpload(ctx, upload(target, byPass.path))).rejects.toThrow(/is encrypted with age/)
    expect(calls).toEqual([])

    await runUpload(t.context(), upload(target, byPass.path, { decryption: { passphrase: 'correct horse battery staple' }, load: true }))
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
  })

  describe('refuses a damaged backup before any network call', () => {
    let pristine: string
    beforeAll(async () => {
      const source = await createBallast(t, 3, 1)
      pristine = join(work, 'pristine')
      await runDownload(t.context(), download(source.canisterId, pristine))
    })

    async function copyOf(name: string): Promise<string> {
      const dir = join(work, name)
      await execFileAsync('cp', ['-r', pristine, dir])
      return dir
    }

    async function expectRefused(dir: string, message: RegExp): Promise<void> {
      const target = await createEmptyBallast(t)
      const { ctx, calls } = countingContext(t.context())
      await expect(runUpload(ctx, upload(target, dir))).rejects.toThrow(message)
      expect(calls).toEqual([])
      expect(t.net.canister(target)?.snapshots).toEqual([])
    }

    it('a tampered manifest', async () => {
      const dir = await copyOf('bad-manifest')
      const file = join(dir, MANIFEST_FILE)
      const manifest = JSON.parse(await readFile(file, 'utf8')) as { files: Array<{ path: string; sha256: string }> }
      const entry = manifest.files.find((f) => f.path === 'wasm_memory.bin')
      if (entry === undefined) throw new Error('wasm_memory.bin missing from the manifest')
      entry.sha256 = '0'.repeat(64)
      await writeFile(file, JSON.stringify(manifest))
      await expectRefused(dir, /wasm_memory\.bin does not match its SHA-256 in the manifest/)
    })

    it('a tampered data file', async () => {
      const dir = await copyOf('bad-data')
      const handle = await open(join(dir, 'stable_memory.bin'), 'r+')
      await handle.write(Buffer.from([0xff, 0xee]), 0, 2, 4096)
      await handle.close()
      await expectRefused(dir, /stable_memory\.bin does not match its SHA-256/)
    })

    it('a truncated file', async () => {
      const dir = await copyOf('truncated')
      await truncate(join(dir, 'wasm_memory.bin'), 1_000_000)
      await expectRefused(dir, /wasm_memory\.bin is 1000000 bytes but the manifest says \d+: the file is truncated/)
    })
  })
})
