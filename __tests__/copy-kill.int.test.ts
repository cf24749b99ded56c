/**
 * A copy across subnets whose process is killed (SIGKILL, no cleanup of any kind) while it streams,
 * then run again with `--resume`: the bundled CLI as a child process against the emulator with two
 * subnets. The emulator reports every update call it executes (`onCall`), so the test sees which
 * slices each run uploaded although the client runs in another process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import type { ExecutedCall } from '../emulator/src/index.js'
import { decodeArg } from '../emulator/src/replica/candid.js'
import { PROGRESS_FILE } from '../src/core/transfer/progress-file.js'
import { SLICE_SIZE, sliceCount } from '../src/core/transfer/slices.js'
import { ballastActor, createBallast, createEmptyBallast, tempDir } from './helpers/backup.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { networkFingerprint } from './reliability/step.js'

const CLI = resolve('dist/cli/index.js')
/** Each update call takes this long, so the stream outlasts the resume record's 1 s save interval. */
const LATENCY_MS = 150
/** The record must list this many uploaded slices before the kill: the resume then has something to skip. */
const KILL_AFTER_SLICES = 2
/** What the copy may call on its source: reads only. */
const SOURCE_READS = new Set(['canister_status', 'list_canister_snapshots', 'read_canister_snapshot_metadata', 'read_canister_snapshot_data'])

let t: TestNetwork
let work: string
let pemFile: string
let observe: (call: ExecutedCall) => void = () => undefined

beforeAll(async () => {
  t = await startTestNetwork({ subnets: 2, latencyMs: LATENCY_MS, onCall: (call) => observe(call) })
  work = await tempDir('copy-kill')
  pemFile = join(work, 'identity.pem')
  await writeFile(pemFile, t.pem, { mode: 0o600 })
})

afterAll(async () => {
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function startCli(args: string[], tmp: string): { child: ChildProcess; exit: Promise<Exit> } {
  // The copy keeps its resume record under the temporary directory, as on a runner.
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, TMPDIR: tmp, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exit = new Promise<Exit>((done, fail) => {
    child.on('error', fail)
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))
  })
  return { child, exit }
}

type Kind = 'wasmModule' | 'wasmMemory' | 'stableMemory'
const KINDS: Record<string, Kind> = { wasm_module: 'wasmModule', wasm_memory: 'wasmMemory', stable_memory: 'stableMemory' }

interface Upload {
  snapshotId: string
  /** `wasmMemory#3`, or `chunk` for a chunk-store entry. */
  slice: string
}

function uploadOf(call: ExecutedCall): Upload | undefined {
  if (call.methodName !== 'upload_canister_snapshot_data' || call.rejectCode !== undefined) return undefined
  const args = decodeArg('upload_canister_snapshot_data', call.arg)
  const snapshotId = Buffer.from(args.snapshot_id).toString('hex')
  const [variant, value] = Object.entries(args.kind)[0] as [string, { offset: bigint } | null]
  const kind = KINDS[variant]
  if (kind === undefined || value === null) return { snapshotId, slice: 'chunk' }
  return { snapshotId, slice: `${kind}#${Number(value.offset) / SLICE_SIZE}` }
}

interface ProgressRecord {
  snapshotId: string
  blobs: { [K in Kind]: { size: number; done: [number, number][] } }
}

function doneSlices(record: ProgressRecord): string[] {
  return (Object.keys(record.blobs) as Kind[]).flatMap((kind) => record.blobs[kind].done.flatMap(([start, end]) => Array.from({ length: end - start }, (_, i) => `${kind}#${start + i}`)))
}

function readRecord(file: string): ProgressRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProgressRecord
  } catch {
    return undefined
  }
}

const snapshotIds = (id: Principal): string[] => (t.net.canister(id)?.snapshots ?? []).map((s) => s.id)

describe('copy across subnets killed while streaming', () => {
  it('resumes into the same target snapshot, uploads only the slices the record lacks, verifies and loads, and never touches the source', async () => {
    const source = await createBallast(t, 24, 8, 1)
    const snap = await t.client.takeSnapshot({ canisterId: source.canisterId })
    const target = await createEmptyBallast(t, 0)
    expect(t.net.subnetOf(source.canisterId)?.id.toText()).not.toBe(t.net.subnetOf(target)?.id.toText())
    const sourceBefore = networkFingerprint(t.net, [source.canisterId])
    const targetHashBefore = t.moduleHashOf(target)
    const meta = await t.client.readCanisterSnapshotMetadata({ canisterId: source.canisterId, snapshotId: snap.id })
    const everySlice = (['wasmModule', 'wasmMemory', 'stableMemory'] as const).flatMap((kind) => {
      const size = Number({ wasmModule: meta.wasmModuleSize, wasmMemory: meta.wasmMemorySize, stableMemory: meta.stableMemorySize }[kind])
      return Array.from({ length: sliceCount(size) }, (_, i) => `${kind}#${i}`)
    })
    expect(everySlice.length).toBeGreaterThan(10)

    const tmp = join(work, 'tmp')
    await mkdir(tmp, { recursive: true })
    const recordFile = join(tmp, 'canister-snapshot-copy', target.toText(), PROGRESS_FILE)
    const sourceId = source.canisterId.toText()
    const targetId = target.toText()
    const sourceCalls: string[] = []
    const args = ['copy', targetId, '--from-canister', sourceId, '--snapshot-id', 'latest', '--concurrency', '2', '--network', t.net.url, '--root-key', t.net.rootKeyHex, '--identity-file', pemFile]

    // The first run is killed once the record on disk lists uploaded slices, on a later upload's arrival.
    let killedWith: ProgressRecord | undefined
    const first = startCli(args, tmp)
    observe = (call) => {
      if (call.effectiveCanisterId.toText() === sourceId) sourceCalls.push(call.methodName)
      if (killedWith !== undefined || uploadOf(call) === undefined) return
      const record = readRecord(recordFile)
      if (record !== undefined && doneSlices(record).length >= KILL_AFTER_SLICES) {
        killedWith = record
        first.child.kill('SIGKILL')
      }
    }
    const killed = await first.exit
    expect(killed.signal).toBe('SIGKILL')
    expect(killedWith).toBeDefined()

    // What the record says after the process died is what the resume works from.
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as ProgressRecord
    const done = new Set(doneSlices(record))
    expect(done.size).toBeGreaterThanOrEqual(KILL_AFTER_SLICES)
    expect(done.size).toBeLessThan(everySlice.length)
    // Killed mid-stream: the target still runs its own module and holds only the partial snapshot.
    expect(t.net.canister(target)?.status).toBe('running')
    expect(t.moduleHashOf(target)).toBe(targetHashBefore)
    expect(snapshotIds(target)).toEqual([record.snapshotId])

    // Every upload from here on: the resumed run's, and those of the killed run still in flight at the emulator.
    const later: Upload[] = []
    observe = (call) => {
      if (call.effectiveCanisterId.toText() === sourceId) sourceCalls.push(call.methodName)
      const upload = uploadOf(call)
      if (upload !== undefined) later.push(upload)
    }
    const resumed = await startCli([...args, '--resume', '--json'], tmp).exit
    expect(resumed.stderr).not.toMatch(/starting over/)
    expect(resumed.code).toBe(0)
    const row = (JSON.parse(resumed.stdout) as { results: { outcome: string; snapshotId: string; safetySnapshotId?: string; note?: string }[] }).results[0]
    expect(row).toMatchObject({ outcome: 'ok', snapshotId: record.snapshotId })
    expect(row?.note).toMatch(/resumed/)

    // Only into the snapshot the killed run created, none of the slices it had recorded, each missing one at least once.
    expect(later.filter((u) => u.snapshotId !== record.snapshotId)).toEqual([])
    expect(later.filter((u) => done.has(u.slice))).toEqual([])
    expect(new Set(later.map((u) => u.slice))).toEqual(new Set(everySlice.filter((s) => !done.has(s))))

    // The target runs the source snapshot's module and state.
    expect(t.net.canister(target)?.status).toBe('running')
    expect(t.moduleHashOf(target)).toBe(t.moduleHashOf(source.canisterId))
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
    // The streamed snapshot (now loaded) and the safety snapshot: nothing else, no second partial copy.
    expect(row?.safetySnapshotId).toBeDefined()
    expect(snapshotIds(target).sort()).toEqual([record.snapshotId, row?.safetySnapshotId].sort())
    // Nothing of the copy is left on disk.
    await expect(readFile(recordFile, 'utf8')).rejects.toThrow(/ENOENT/)

    // The source was only read: never stopped, no snapshot taken or loaded, its state as before.
    expect(sourceCalls.filter((m) => !SOURCE_READS.has(m))).toEqual([])
    expect(sourceCalls).toContain('read_canister_snapshot_data')
    expect(networkFingerprint(t.net, [source.canisterId])).toBe(sourceBefore)
    expect(await source.actor.checksum()).toBe(source.checksum)
  })

  it('killed once streamed, while the target is stopped for the load: the resume loads the streamed snapshot without streaming it again', async () => {
    const source = await createBallast(t, 6, 2, 1)
    await t.client.takeSnapshot({ canisterId: source.canisterId })
    const target = await createEmptyBallast(t, 0)
    const tmp = join(work, 'tmp-load')
    await mkdir(tmp, { recursive: true })
    const targetId = target.toText()
    const args = ['copy', targetId, '--from-canister', source.canisterId.toText(), '--snapshot-id', 'latest', '--network', t.net.url, '--root-key', t.net.rootKeyHex, '--identity-file', pemFile]

    let streamedInto: string | undefined
    const first = startCli(args, tmp)
    observe = (call) => {
      if (call.effectiveCanisterId.toText() !== targetId) return
      streamedInto ??= uploadOf(call)?.snapshotId
      // Every slice is uploaded and verified by now: the load is all that is left.
      if (call.methodName === 'stop_canister') first.child.kill('SIGKILL')
    }
    const killed = await first.exit
    expect(killed.signal).toBe('SIGKILL')
    expect(streamedInto).toBeDefined()
    // A SIGKILL leaves no handler to start it again: the resumed run must.
    expect(t.net.canister(target)?.status).not.toBe('running')

    const calls: string[] = []
    observe = (call) => {
      if (call.effectiveCanisterId.toText() === targetId) calls.push(call.methodName)
    }
    const resumed = await startCli([...args, '--resume', '--json'], tmp).exit
    expect(resumed.code).toBe(0)
    const row = (JSON.parse(resumed.stdout) as { results: { outcome: string; snapshotId: string; safetySnapshotId?: string }[] }).results[0]
    expect(row).toMatchObject({ outcome: 'ok', snapshotId: streamedInto })
    expect(calls).not.toContain('upload_canister_snapshot_metadata')
    expect(calls).not.toContain('upload_canister_snapshot_data')
    expect(calls).toContain('load_canister_snapshot')
    expect(t.net.canister(target)?.status).toBe('running')
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
    // The streamed snapshot and the safety snapshot of this run: no second streamed copy.
    expect(snapshotIds(target).sort()).toEqual([streamedInto, row?.safetySnapshotId].sort())
    await expect(readFile(join(tmp, 'canister-snapshot-copy', targetId, PROGRESS_FILE), 'utf8')).rejects.toThrow(/ENOENT/)
  })
})
