/**
 * operation: copy against the emulator over HTTP with the real agent, on a network of two subnets:
 * a direct load on one subnet, a streamed and verified copy across two, `snapshot-id: new`, a
 * non-controller of the source refused before anything is stopped, a streamed copy killed part
 * way and resumed into the same target snapshot, and bad input refused before any call.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import { runCopy, type CopyRequest } from '../src/core/commands/copy.js'
import { PROGRESS_FILE } from '../src/core/transfer/progress-file.js'
import { sliceCount } from '../src/core/transfer/slices.js'
import { ballastActor, countingContext, createBallast, createEmptyBallast, observingContext, tempDir, TEST_RETRY } from './helpers/backup.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { newPem } from './helpers/keys.js'
import { parseIdentity } from '../src/core/identity.js'

let t: TestNetwork
let work: string

beforeAll(async () => {
  t = await startTestNetwork({ subnets: 2 })
  work = await tempDir('copy-test')
})

afterAll(async () => {
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

let dirs = 0
function copy(target: Principal, from: Principal, extra: Partial<CopyRequest> = {}): CopyRequest {
  return {
    operation: 'copy',
    canisters: [target],
    from,
    snapshot: { kind: 'latest' },
    safetySnapshot: true,
    stop: true,
    stopTimeoutSeconds: 30,
    dryRun: false,
    resume: false,
    retry: TEST_RETRY,
    progressDir: join(work, `progress-${++dirs}`),
    ...extra
  }
}

const snapshotIds = (id: Principal): string[] => (t.net.canister(id)?.snapshots ?? []).map((s) => s.id)

describe('copy on one subnet', () => {
  it('loads the source snapshot onto the target directly: counter state moved, target running, module hash reported, safety snapshot kept', async () => {
    const source = await t.createCounter()
    for (let i = 0; i < 5; i++) await t.counter(source).inc()
    const snap = await t.client.takeSnapshot({ canisterId: source })
    // The target runs another module (counter v2, whose `get` traps): the copy brings the source's.
    const target = await t.createCounter()
    await t.counter(target).set(42n)
    await t.upgrade(target, 'counter_v2')
    expect(t.moduleHashOf(target)).not.toBe(t.moduleHashOf(source))
    expect(t.net.subnetOf(source)?.id.toText()).toBe(t.net.subnetOf(target)?.id.toText())

    const { ctx, calls } = countingContext(t.context())
    const result = await runCopy(ctx, copy(target, source))
    const row = result.results[0]
    expect(row).toMatchObject({ outcome: 'ok', canisterId: target.toText(), snapshotId: snap.id, moduleHash: t.moduleHashOf(source) })
    expect(row?.note).toMatch(/loaded directly/)
    expect(await t.counter(target).get()).toBe(5n)
    expect(t.net.canister(target)?.status).toBe('running')
    expect(t.moduleHashOf(target)).toBe(t.moduleHashOf(source))
    // Nothing streamed: the IC loaded the source's snapshot itself.
    expect(calls).not.toContain('uploadCanisterSnapshotMetadata')
    expect(calls).not.toContain('readCanisterSnapshotData')
    // The target's replaced state is kept as its safety snapshot.
    expect(row?.safetySnapshotId).toBeDefined()
    expect(snapshotIds(target)).toEqual([row?.safetySnapshotId])
    await t.client.stop(target)
    await t.client.loadSnapshot({ canisterId: target, snapshotId: row?.safetySnapshotId as string })
    await t.client.start(target)
    await t.upgrade(target, 'counter_v1')
    expect(await t.counter(target).get()).toBe(42n)
    // The source is untouched.
    expect(await t.counter(source).get()).toBe(5n)
  })

  it("with snapshot-id 'new' takes a snapshot of the running source first (stopped and restarted) and copies it", async () => {
    const source = await t.createCounter()
    await t.counter(source).set(7n)
    const target = await t.createCounter()
    const result = await runCopy(t.context(), copy(target, source, { snapshot: { kind: 'new' }, safetySnapshot: false }))
    const row = result.results[0]
    expect(row?.outcome).toBe('ok')
    expect(snapshotIds(source)).toEqual([row?.snapshotId])
    expect(snapshotIds(target)).toEqual([])
    expect(await t.counter(target).get()).toBe(7n)
    expect(t.net.canister(source)?.status).toBe('running')
    expect(t.net.canister(target)?.status).toBe('running')
  })

  it('refuses a source the identity does not control before anything is stopped, naming the principal, the canister and the fix', async () => {
    const other = parseIdentity(newPem()).identity.getPrincipal()
    const source = await t.net.createCanister({ controllers: [other], wasmModule: await loadCanisterModule('counter_v1') })
    const target = await t.createCounter()
    await t.counter(target).set(3n)
    const before = t.net.canister(target)
    const methods: string[] = []
    const ctx = observingContext(t.context(), (method) => methods.push(method))
    const result = await runCopy(ctx, copy(target, source))
    const failed = result.results.find((r) => r.canisterId === source.toText())
    expect(failed?.outcome).toBe('failed')
    expect(failed?.error).toContain(`Identity ${t.identity.principal} is not a controller of canister ${source.toText()}`)
    expect(failed?.error).toContain(`icp canister settings update ${source.toText()} --add-controller ${t.identity.principal}`)
    expect(result.results.find((r) => r.canisterId === target.toText())?.outcome).toBe('skipped')
    // Only reads were made: no stop, no snapshot, no load.
    expect(methods.filter((m) => !['canisterStatus', 'listSnapshots', 'subnetOf'].includes(m))).toEqual([])
    const after = t.net.canister(target)
    expect(after?.status).toBe('running')
    expect(after?.version).toBe(before?.version)
    expect(after?.snapshots).toEqual(before?.snapshots)
    expect(await t.counter(target).get()).toBe(3n)
  })

  it('refuses from-canister equal to canister, and a snapshot ID of another canister, naming the input', async () => {
    const a = await t.createCounter()
    const b = await t.createCounter()
    const snap = await t.client.takeSnapshot({ canisterId: b })
    await expect(runCopy(t.context(), copy(a, a))).rejects.toThrow(/^Input 'from-canister' must be another canister than 'canister'/)
    await expect(runCopy(t.context(), copy(b, a, { snapshot: { kind: 'id', id: snap.id } }))).rejects.toThrow(
      new RegExp(`^Input 'snapshot-id' must be .*${snap.id} belongs to ${b.toText()}`)
    )
    expect(t.net.canister(a)?.status).toBe('running')
  })

  it('dry-run checks both canisters and changes nothing', async () => {
    const source = await t.createCounter()
    await t.client.takeSnapshot({ canisterId: source })
    const target = await t.createCounter()
    const before = t.net.canister(target)
    const result = await runCopy(t.context(), copy(target, source, { dryRun: true }))
    expect(result.results[0]).toMatchObject({ outcome: 'dry-run' })
    expect(result.results[0]?.note).toMatch(/stop .*safety snapshot.*load/)
    expect(t.net.canister(target)).toEqual(before)
  })
})

describe('copy across subnets', () => {
  it('streams the snapshot into a new snapshot of the target, verifies every slice, and loads it', async () => {
    const source = await createBallast(t, 9, 5, 1)
    const snap = await t.client.takeSnapshot({ canisterId: source.canisterId })
    const target = await createEmptyBallast(t, 0)
    expect(t.net.subnetOf(source.canisterId)?.id.toText()).not.toBe(t.net.subnetOf(target)?.id.toText())

    const result = await runCopy(t.context({ concurrency: 8 }), copy(target, source.canisterId))
    const row = result.results[0]
    expect(row?.outcome).toBe('ok')
    expect(row?.note).toMatch(/streamed across subnets/)
    const meta = await t.client.readCanisterSnapshotMetadata({ canisterId: source.canisterId, snapshotId: snap.id })
    const slices = sliceCount(Number(meta.wasmModuleSize)) + sliceCount(Number(meta.wasmMemorySize)) + sliceCount(Number(meta.stableMemorySize))
    expect(row?.note).toContain(`${slices} slice(s) verified`)
    // The target loaded its own new snapshot (the source's is not on its subnet) and runs the state.
    expect(row?.snapshotId).not.toBe(snap.id)
    expect(snapshotIds(target)).toContain(row?.snapshotId)
    expect(snapshotIds(target)).toContain(row?.safetySnapshotId)
    expect(t.net.canister(target)?.status).toBe('running')
    expect(row?.moduleHash).toBe(t.moduleHashOf(source.canisterId))
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
  })

  it('moves counter state across subnets and keeps nothing on disk', async () => {
    const source = await t.createCounter({ subnet: 1 })
    for (let i = 0; i < 4; i++) await t.counter(source).inc()
    const target = await t.createCounter()
    const progressDir = join(work, 'counter-across')
    const result = await runCopy(t.context(), copy(target, source, { snapshot: { kind: 'new' }, progressDir }))
    expect(result.results[0]?.outcome).toBe('ok')
    expect(await t.counter(target).get()).toBe(4n)
    await expect(readFile(join(progressDir, PROGRESS_FILE), 'utf8')).rejects.toThrow(/ENOENT/)
  })

  it('resumes a copy killed while streaming: the same target snapshot, only the missing slices sent, then verified and loaded', async () => {
    const source = await createBallast(t, 12, 6, 1)
    const target = await createEmptyBallast(t, 0)
    const progressDir = join(work, 'resume')

    let uploads = 0
    const first = observingContext(t.context(), (method) => {
      // After a few slices the network fails for longer than the retry budget: the run gives up as a killed one would.
      if (method === 'uploadCanisterSnapshotData' && ++uploads === 4) t.net.faults.failNext({ method: 'upload_canister_snapshot_data', mode: 503, count: 1000 })
    })
    const failed = await runCopy({ ...first, concurrency: 2 }, copy(target, source.canisterId, { snapshot: { kind: 'new' }, progressDir }))
    t.net.faults.clear()
    expect(failed.results[0]?.outcome).toBe('failed')
    expect(failed.results[0]?.error).toMatch(/resume: true/)
    // The target was never stopped and still runs its own state.
    expect(t.net.canister(target)?.status).toBe('running')
    const record = JSON.parse(await readFile(join(progressDir, PROGRESS_FILE), 'utf8')) as { snapshotId: string }
    const sourceSnapshots = snapshotIds(source.canisterId)
    expect(sourceSnapshots).toHaveLength(1)

    const { ctx, calls } = countingContext(t.context())
    const second = await runCopy(ctx, copy(target, source.canisterId, { snapshot: { kind: 'new' }, progressDir, resume: true }))
    const row = second.results[0]
    expect(row?.outcome).toBe('ok')
    expect(row?.snapshotId).toBe(record.snapshotId)
    expect(row?.note).toMatch(/resumed/)
    // No second source snapshot, no second target snapshot from metadata.
    expect(snapshotIds(source.canisterId)).toEqual(sourceSnapshots)
    expect(calls).not.toContain('uploadCanisterSnapshotMetadata')
    const meta = await t.client.readCanisterSnapshotMetadata({ canisterId: source.canisterId, snapshotId: sourceSnapshots[0] as string })
    const total = sliceCount(Number(meta.wasmModuleSize)) + sliceCount(Number(meta.wasmMemorySize)) + sliceCount(Number(meta.stableMemorySize))
    expect(calls.filter((c) => c === 'uploadCanisterSnapshotData').length).toBeLessThan(total)
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
    expect(t.moduleHashOf(target)).toBe(t.moduleHashOf(source.canisterId))
  })

  /** A copy stopped after a few slices by an outage longer than the retry budget: its record and partial snapshot stay. */
  async function interruptedCopy(progressDir: string, snapshot: CopyRequest['snapshot'] = { kind: 'latest' }): Promise<{ source: Principal; target: Principal; partial: string }> {
    const source = await t.createCounter({ subnet: 1 })
    await t.counter(source).set(9n)
    if (snapshot.kind !== 'new') await t.client.takeSnapshot({ canisterId: source })
    const target = await t.createCounter()
    let uploads = 0
    const ctx = observingContext(t.context(), (method) => {
      if (method === 'uploadCanisterSnapshotData' && ++uploads === 1) t.net.faults.failNext({ method: 'upload_canister_snapshot_data', mode: 503, count: 1000 })
    })
    const failed = await runCopy({ ...ctx, concurrency: 1 }, copy(target, source, { snapshot, progressDir }))
    t.net.faults.clear()
    expect(failed.results[0]?.outcome).toBe('failed')
    const [partial] = snapshotIds(target)
    expect(snapshotIds(target)).toEqual([partial])
    return { source, target, partial: partial as string }
  }

  it('stops at a corrupt resume record, naming the file and what to do, as upload does, and changes nothing', async () => {
    const progressDir = join(work, 'corrupt-record')
    const { source, target, partial } = await interruptedCopy(progressDir)
    const recordFile = join(progressDir, PROGRESS_FILE)
    await writeFile(recordFile, '{"version": 1, "operation": "co')

    const { ctx, calls } = countingContext(t.context())
    const result = await runCopy(ctx, copy(target, source, { progressDir, resume: true }))
    const row = result.results[0]
    expect(row).toMatchObject({ outcome: 'failed', errorName: 'ProgressRecordError' })
    expect(row?.error).toBe(`${recordFile} is not valid JSON; delete it to start the copy over (the snapshot it was filling stays on ${target.toText()} until 'operation: delete' removes it).`)
    // Starting over would have left the partial snapshot behind and made another.
    expect(calls).not.toContain('uploadCanisterSnapshotMetadata')
    expect(calls).not.toContain('uploadCanisterSnapshotData')
    expect(snapshotIds(target)).toEqual([partial])
    expect(t.net.canister(target)?.status).toBe('running')
    expect(await t.counter(target).get()).toBe(0n)

    // Done as the message says, the copy starts over and succeeds.
    await rm(recordFile)
    const again = await runCopy(t.context(), copy(target, source, { progressDir, resume: true }))
    expect(again.results[0]?.outcome).toBe('ok')
    expect(await t.counter(target).get()).toBe(9n)
  })

  it('refuses a resume record of a copy of another snapshot, naming the partial snapshot it leaves', async () => {
    const progressDir = join(work, 'other-record')
    const { source, target, partial } = await interruptedCopy(progressDir)
    await t.counter(source).set(10n)
    await t.client.takeSnapshot({ canisterId: source })
    const result = await runCopy(t.context(), copy(target, source, { progressDir, resume: true }))
    const row = result.results[0]
    expect(row).toMatchObject({ outcome: 'failed', errorName: 'ProgressRecordError' })
    expect(row?.error).toMatch(new RegExp(`belongs to another transfer \\(fingerprint .*; delete it to start the copy over \\(snapshot ${partial} stays on ${target.toText()} until 'operation: delete' removes it\\), or resume with the 'from-canister' and 'snapshot-id' of the interrupted copy\\.$`))
    expect(snapshotIds(target)).toEqual([partial])
  })

  it("with 'new', refuses a corrupt or foreign source record before a snapshot of the source is taken", async () => {
    const progressDir = join(work, 'source-record')
    const { source, target, partial } = await interruptedCopy(progressDir, { kind: 'new' })
    const sourceFile = join(progressDir, 'copy-source.json')
    const taken = snapshotIds(source)
    expect(taken).toHaveLength(1)

    await writeFile(sourceFile, '{"source": ')
    const corrupt = await runCopy(t.context(), copy(target, source, { progressDir, resume: true, snapshot: { kind: 'new' } }))
    expect(corrupt.results[0]).toMatchObject({ outcome: 'failed', errorName: 'ProgressRecordError' })
    expect(corrupt.results[0]?.error).toMatch(new RegExp(`^${sourceFile} is not valid JSON; delete it`))

    const other = await t.createCounter({ subnet: 1 })
    await writeFile(sourceFile, `${JSON.stringify({ source: source.toText(), snapshotId: taken[0] })}\n`)
    const foreign = await runCopy(t.context(), copy(target, other, { progressDir, resume: true, snapshot: { kind: 'new' } }))
    expect(foreign.results[0]).toMatchObject({ outcome: 'failed', errorName: 'ProgressRecordError' })
    expect(foreign.results[0]?.error).toContain(`belongs to an interrupted copy from ${source.toText()}, not ${other.toText()}`)
    expect(snapshotIds(other)).toEqual([])
    expect(snapshotIds(source)).toEqual(taken)
    expect(snapshotIds(target)).toEqual([partial])
    expect(t.net.canister(other)?.status).toBe('running')
  })

  it('keeps the resume record when the load fails, and a resume loads the streamed snapshot without streaming it again', async () => {
    const source = await t.createCounter({ subnet: 1 })
    await t.counter(source).set(11n)
    await t.client.takeSnapshot({ canisterId: source })
    const target = await t.createCounter()
    const progressDir = join(work, 'load-fails')
    // The target runs out of cycles once stopped for the load: everything has been streamed by then.
    const first = observingContext(t.context(), (method) => {
      if (method === 'stop') t.net.faults.drainCycles(target)
    })
    const failed = await runCopy(first, copy(target, source, { progressDir, safetySnapshot: false }))
    const row = failed.results[0]
    expect(row?.outcome).toBe('failed')
    const [streamed] = snapshotIds(target)
    expect(row?.error).toContain(`Snapshot ${streamed} stays on ${target.toText()}; run again with 'resume: true' to load it without streaming it again.`)
    expect(row?.error).not.toContain('\n')
    await expect(readFile(join(progressDir, PROGRESS_FILE), 'utf8')).resolves.toContain(streamed as string)

    t.net.faults.drainCycles(target, 10n ** 13n)
    const { ctx, calls } = countingContext(t.context())
    const resumed = await runCopy(ctx, copy(target, source, { progressDir, safetySnapshot: false, resume: true }))
    expect(resumed.results[0]).toMatchObject({ outcome: 'ok', snapshotId: streamed })
    expect(calls).not.toContain('uploadCanisterSnapshotMetadata')
    expect(calls).not.toContain('uploadCanisterSnapshotData')
    expect(snapshotIds(target)).toEqual([streamed])
    expect(await t.counter(target).get()).toBe(11n)
    expect(t.net.canister(target)?.status).toBe('running')
    await expect(readFile(join(progressDir, PROGRESS_FILE), 'utf8')).rejects.toThrow(/ENOENT/)
  })
})
