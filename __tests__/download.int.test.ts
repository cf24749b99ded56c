/**
 * operation: download against the emulator over HTTP with the real agent: the icp/dfx directory
 * layout (checked with icp 1.5.0 itself, both ways), `latest` and `new`, the manifest, the first
 * slices read ahead of the metadata, and resume after injected faults without re-reading what is on
 * disk.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { runDownload } from '../src/core/commands/download.js'
import { runUpload } from '../src/core/commands/upload.js'
import { MANIFEST_FILE } from '../src/core/backup/layout.js'
import { readManifest } from '../src/core/backup/manifest.js'
import { digestFile } from '../src/core/backup/file-digest.js'
import { PROGRESS_FILE } from '../src/core/transfer/progress-file.js'
import { SLICE_SIZE, sliceCount } from '../src/core/transfer/slices.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { ballastActor, countingContext, downloadRequest as request, createBallast, createEmptyBallast, icpCli, observingContext, tempDir, TEST_RETRY, TOOL, type IcpCli } from './helpers/backup.js'

let t: TestNetwork
let icp: IcpCli
let work: string

beforeAll(async () => {
  t = await startTestNetwork()
  icp = await icpCli(t)
  work = await tempDir('download-test')
})

afterAll(async () => {
  await icp?.close()
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('download', () => {
  it('writes the directory icp writes, byte for byte, and icp uploads ours', async () => {
    const { canisterId, checksum } = await createBallast(t, 3, 2)
    const taken = await t.client.takeSnapshot({ canisterId })

    const ours = join(work, 'ours')
    const result = await runDownload(t.context(), request(canisterId, ours, { snapshot: { kind: 'id', id: taken.id } }))
    expect(result.snapshotId).toBe(taken.id)

    const theirs = join(work, 'theirs')
    await icp.ok('canister', 'snapshot', 'download', canisterId.toText(), taken.id, '-o', theirs)
    for (const name of ['metadata.json', 'wasm_module.bin', 'wasm_memory.bin', 'stable_memory.bin']) {
      expect(await readFile(join(ours, name))).toEqual(await readFile(join(theirs, name)))
    }
    expect((await readdir(ours)).sort()).toEqual([MANIFEST_FILE, 'metadata.json', 'stable_memory.bin', 'wasm_chunk_store', 'wasm_memory.bin', 'wasm_module.bin'])

    // icp reads our directory (the manifest beside the data does not disturb it) and restores it elsewhere.
    const target = await createEmptyBallast(t)
    const uploaded = await icp.ok('canister', 'snapshot', 'upload', target.toText(), '-i', ours, '--json')
    const { snapshot_id } = JSON.parse(uploaded.stdout) as { snapshot_id: string }
    await icp.ok('canister', 'stop', target.toText())
    await icp.ok('canister', 'snapshot', 'restore', target.toText(), snapshot_id)
    await icp.ok('canister', 'start', target.toText())
    expect(await (await ballastActor(t, target)).checksum()).toBe(checksum)
  })

  it('uploads a directory written by icp and restores it with load', async () => {
    const { canisterId, checksum } = await createBallast(t, 2, 3)
    const taken = await t.client.takeSnapshot({ canisterId })
    const theirs = join(work, 'icp-made')
    await icp.ok('canister', 'snapshot', 'download', canisterId.toText(), taken.id, '-o', theirs)

    const target = await createEmptyBallast(t)
    const result = await runUpload(t.context(), {
      operation: 'upload',
      canister: target,
      path: theirs,
      decryption: undefined,
      replace: undefined,
      load: true,
      concurrency: 4,
      resume: false,
      stopTimeoutSeconds: 30,
      retry: TEST_RETRY
    })
    expect(result.snapshotId).toMatch(/^[0-9a-f]+$/)
    expect(t.net.canister(target)?.status).toBe('running')
    expect(await (await ballastActor(t, target)).checksum()).toBe(checksum)
  })

  it('picks the latest snapshot, records it in the manifest and refuses a non-empty directory', async () => {
    const { canisterId } = await createBallast(t, 1, 1)
    await t.client.takeSnapshot({ canisterId })
    const newest = await t.client.takeSnapshot({ canisterId })
    const dir = join(work, 'latest')
    const result = await runDownload(t.context(), request(canisterId, dir))
    expect(result.snapshotId).toBe(newest.id)

    const found = await readManifest(dir)
    expect(found?.manifest).toMatchObject({ canister: canisterId.toText(), snapshotId: newest.id, network: 'local', tool: TOOL })
    expect(found?.sha256).toBe(result.sha256)
    for (const f of found?.manifest.files ?? []) {
      expect(await digestFile(join(dir, ...f.path.split('/')))).toEqual({ sha256: f.sha256, bytes: f.bytes })
    }
    await expect(runDownload(t.context(), request(canisterId, dir))).rejects.toThrow(/is not empty/)
  })

  it("takes a new snapshot with 'new' and restarts the canister", async () => {
    const { canisterId } = await createBallast(t, 1, 0)
    const before = t.net.canister(canisterId)?.snapshots.length ?? 0
    const result = await runDownload(t.context(), request(canisterId, join(work, 'new'), { snapshot: { kind: 'new' } }))
    const after = t.net.canister(canisterId)?.snapshots ?? []
    expect(after.length).toBe(before + 1)
    expect(after.map((s) => s.id)).toContain(result.snapshotId)
    expect(t.net.canister(canisterId)?.status).toBe('running')
  })

  it('reads the first slices while the metadata is on its way; a guess past a blob costs a call, not a byte', async () => {
    // A heap of a few slices (the last one short) and an empty stable memory: most guesses are wrong.
    const { canisterId } = await createBallast(t, 3, 0)
    const taken = await t.client.takeSnapshot({ canisterId })
    const reference = join(work, 'read-ahead-reference')
    // One slot: nothing is left to read ahead with.
    const plain = countingContext(t.context())
    await runDownload(plain.ctx, request(canisterId, reference, { snapshot: { kind: 'id', id: taken.id }, concurrency: 1 }))
    expect(plain.calls.filter((c) => c === 'readCanisterSnapshotData').length).toBe(sliceCount((await digestFile(join(reference, 'wasm_memory.bin'))).bytes) + 1)

    const debug: string[] = []
    let metadataAnswered = false
    const readsBeforeMetadata: string[] = []
    const ctx = observingContext(t.context(), (method, args, result) => {
      if (method === 'readCanisterSnapshotMetadata') void (result as Promise<unknown>).then(() => (metadataAnswered = true))
      if (method === 'readCanisterSnapshotData' && !metadataAnswered) readsBeforeMetadata.push(Object.keys((args[0] as { kind: object }).kind)[0] ?? '')
    })
    const logger = { ...ctx.logger, debug: (m: string) => debug.push(m) }
    const dir = join(work, 'read-ahead')
    const result = await runDownload({ ...ctx, logger }, request(canisterId, dir, { snapshot: { kind: 'id', id: taken.id }, concurrency: 8 }))

    // The seven free slots guessed the heap's slices 0–3 and stable memory's 0–2, alternately.
    expect(readsBeforeMetadata).toEqual(['wasmMemory', 'stableMemory', 'wasmMemory', 'stableMemory', 'wasmMemory', 'stableMemory', 'wasmMemory'])
    const heapBytes = (await digestFile(join(reference, 'wasm_memory.bin'))).bytes
    const fullHeapSlicesGuessed = [0, 1, 2, 3].filter((i) => (i + 1) * SLICE_SIZE <= heapBytes).length
    expect(fullHeapSlicesGuessed).toBeGreaterThan(0)
    expect(debug).toContain(`Read ahead 7 slice(s) while the metadata was on its way; ${fullHeapSlicesGuessed} were used.`)
    // Every slice was still transferred once and counted once.
    expect(result.stats.slicesTransferred).toBe(sliceCount(heapBytes) + 1)
    for (const name of ['metadata.json', 'wasm_module.bin', 'wasm_memory.bin', 'stable_memory.bin']) {
      expect((await readFile(join(dir, name))).equals(await readFile(join(reference, name)))).toBe(true)
    }
  })

  it('resumes after injected faults without reading completed slices again, byte-identical', async () => {
    const { canisterId } = await createBallast(t, 12, 8)
    const taken = await t.client.takeSnapshot({ canisterId })
    const reference = join(work, 'resume-reference')
    await runDownload(t.context(), request(canisterId, reference, { snapshot: { kind: 'id', id: taken.id } }))

    const dir = join(work, 'resume')
    // One transient 503 is retried; then, after a few slices, more resets than the retry budget.
    t.net.faults.failNext({ method: 'read_canister_snapshot_data', mode: 503, count: 1 })
    let reads = 0
    const ctx = t.context()
    const failing = {
      ...ctx,
      client: new Proxy(ctx.client, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver)
          if (prop !== 'readCanisterSnapshotData' || typeof value !== 'function') return value
          return (...args: unknown[]) => {
            reads++
            // After a few slices the network goes away for good (as far as this run can tell).
            if (reads === 4) t.net.faults.failNext({ method: 'read_canister_snapshot_data', mode: 'reset', count: 1000 })
            return (value as (...a: unknown[]) => unknown).apply(target, args)
          }
        }
      })
    }
    await expect(runDownload(failing, request(canisterId, dir, { snapshot: { kind: 'id', id: taken.id }, concurrency: 2 }))).rejects.toThrow()
    t.net.faults.clear()
    expect((await readdir(dir)).includes(PROGRESS_FILE)).toBe(true)

    const { ctx: counted, calls } = countingContext(t.context())
    const second = await runDownload(counted, request(canisterId, dir, { snapshot: { kind: 'id', id: taken.id }, resume: true }))
    expect(calls.filter((c) => c === 'readCanisterSnapshotData').length).toBe(second.stats.slicesTransferred)
    const totalSlices = Math.ceil((await digestFile(join(reference, 'wasm_memory.bin'))).bytes / SLICE_SIZE) + Math.ceil((await digestFile(join(reference, 'stable_memory.bin'))).bytes / SLICE_SIZE) + 1
    expect(second.stats.slicesResumed).toBeGreaterThan(0)
    expect(second.stats.slicesResumed + second.stats.slicesTransferred).toBe(totalSlices)
    expect(second.stats.slicesTransferred).toBeLessThan(totalSlices)
    for (const name of ['metadata.json', 'wasm_module.bin', 'wasm_memory.bin', 'stable_memory.bin']) {
      expect((await digestFile(join(dir, name))).sha256).toBe((await digestFile(join(reference, name))).sha256)
    }
    expect((await readdir(dir)).includes(PROGRESS_FILE)).toBe(false)
  })
})

