/**
 * How fast the emulator serves, so it is never the bottleneck of other benchmarks: update calls per
 * second with latency 0 (target ≥ 300/s) and snapshot data streamed through
 * read/upload_canister_snapshot_data (target ≥ 100 MB/s), with several calls in flight as a real
 * transfer keeps them.
 *
 * The emulator runs as `npm run emulator` in its own process, as users run it, and everything goes
 * over real HTTP. Each data direction is measured twice:
 * - pre-signed requests sent by a client that does not verify certificates, so the rate is the
 *   emulator's own (also given per emulator CPU core, which does not depend on the machine's load);
 * - the JS agent (`HttpAgent` with default verification, `IcManagementCanister`), as the action
 *   uses it: this includes the client's own work (signing, Candid, a BLS verification per
 *   certificate), so it is what a real transfer sees on this machine.
 *
 * Profile the emulator with BENCH_EMULATOR_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import { IDL } from '@icp-sdk/core/candid'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import { Principal } from '@icp-sdk/core/principal'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import { ballastIdl, counterIdl, loadCanisterModule, type BallastService, type CounterService } from '../emulator/canisters/index.js'
import { callContent, post, signedEnvelope, type Envelope } from '../emulator/__tests__/helpers/raw-requests.js'

const UPDATES = 3000
const UPDATE_CONCURRENCY = 64
const SLICE = 2_000_000
const HEAP_MIB = 96
/** Slices in flight: a real transfer keeps 8–16 (issue 5's default concurrency is 16). */
const DATA_CONCURRENCY = 16
const STARTUP_TIMEOUT_MS = 60_000
/** USER_HZ, the unit of /proc/<pid>/stat times; 100 on Linux. */
const CLOCK_TICKS_PER_SECOND = 100

const Slice = IDL.Record({ offset: IDL.Nat64, size: IDL.Nat64 })
const ReadArg = IDL.Record({
  canister_id: IDL.Principal,
  snapshot_id: IDL.Vec(IDL.Nat8),
  kind: IDL.Variant({ wasm_module: Slice, wasm_memory: Slice, stable_memory: Slice, wasm_chunk: IDL.Record({ hash: IDL.Vec(IDL.Nat8) }) })
})
const Offset = IDL.Record({ offset: IDL.Nat64 })
const UploadArg = IDL.Record({
  canister_id: IDL.Principal,
  snapshot_id: IDL.Vec(IDL.Nat8),
  kind: IDL.Variant({ wasm_module: Offset, wasm_memory: Offset, stable_memory: Offset, wasm_chunk: IDL.Null }),
  chunk: IDL.Vec(IDL.Nat8)
})

const identity = Ed25519KeyIdentity.generate()
const MANAGEMENT = Principal.managementCanister()

/** Starts `npm run emulator -- --port 0` and reads its URL and root key. */
async function startEmulator(): Promise<{ child: ChildProcess; url: string; rootKey: Uint8Array }> {
  // e.g. BENCH_EMULATOR_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the emulator.
  const nodeArgs = (process.env.BENCH_EMULATOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'emulator/src/cli.ts', '--port', '0', '--seed', 'bench'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  let url: string | undefined
  let rootKeyHex: string | undefined
  const timer = setTimeout(() => child.kill('SIGTERM'), STARTUP_TIMEOUT_MS)
  for await (const line of lines) {
    if (line.startsWith('URL=')) url = line.slice(4)
    if (line.startsWith('ROOT_KEY=')) rootKeyHex = line.slice(9)
    if (url !== undefined && rootKeyHex !== undefined) break
  }
  clearTimeout(timer)
  if (url === undefined || rootKeyHex === undefined) throw new Error('The emulator exited before printing URL= and ROOT_KEY=')
  child.stdout?.resume()
  return { child, url, rootKey: Uint8Array.from(Buffer.from(rootKeyHex, 'hex')) }
}

/** CPU seconds (user + system) the emulator process has used so far, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
}

/**
 * Runs one phase and reports both the wall-clock rate (shared CPU: the client and anything else on
 * the machine compete with the emulator) and the rate the emulator could sustain on one core of its
 * own (work ÷ the emulator process's CPU seconds), which does not depend on the machine's load.
 */
async function measure(pid: number, work: number, phase: () => Promise<number>): Promise<{ wall: number; perCore: number }> {
  const cpuBefore = await cpuSeconds(pid)
  const seconds = await phase()
  const cpu = (await cpuSeconds(pid)) - cpuBefore
  return { wall: work / seconds, perCore: work / Math.max(cpu, 1 / CLOCK_TICKS_PER_SECOND) }
}

/** Runs `task(0 … count-1)` with at most `concurrency` running at once; wall-clock seconds. */
async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<number> {
  let next = 0
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return (performance.now() - started) / 1000
}

/** Sends every envelope with at most `concurrency` in flight; each must come back `replied`. */
function sendAll(url: string, envelopes: Envelope[], concurrency: number): Promise<number> {
  return inParallel(envelopes.length, concurrency, async (index) => {
    const response = await post(url, (envelopes[index] as Envelope).body)
    const status = response.status === 200 ? response.cbor().status : undefined
    if (status !== 'replied') throw new Error(`A benchmark call was not replied: HTTP ${response.status} ${String(status ?? response.text)}`)
  })
}

function managementEnvelope(method: string, arg: ArrayBuffer | Uint8Array): Promise<Envelope> {
  return signedEnvelope(identity, { ...callContent(identity, MANAGEMENT, method), arg: new Uint8Array(arg) })
}

const verdict = (value: number, target: number): string => (value >= target ? 'ok' : 'BELOW TARGET')
const offsets = (size: number): number[] => Array.from({ length: Math.ceil(size / SLICE) }, (_, i) => i * SLICE)

const { child, url, rootKey } = await startEmulator()
const pid = child.pid as number
const rows: string[] = []
try {
  const agent = await HttpAgent.create({ host: url, identity, rootKey })
  const ic = IcManagementCanister.create({ agent })
  const newCanister = async (module: 'counter_v1' | 'ballast'): Promise<Principal> => {
    const canisterId = await ic.provisionalCreateCanisterWithCycles({ amount: 10n ** 15n })
    await ic.installCode({ mode: { install: null }, canisterId, wasmModule: await loadCanisterModule(module), arg: new Uint8Array(IDL.encode([], [])) })
    return canisterId
  }

  const counterId = await newCanister('counter_v1')
  const incs = await Promise.all(Array.from({ length: UPDATES }, () => signedEnvelope(identity, callContent(identity, counterId, 'inc'))))
  const updates = await measure(pid, UPDATES, () => sendAll(`${url}/api/v4/canister/${counterId.toText()}/call`, incs, UPDATE_CONCURRENCY))
  const counter = Actor.createActor<CounterService>(counterIdl, { agent, canisterId: counterId })
  if ((await counter.get()) !== BigInt(UPDATES)) throw new Error('The counter does not show every benchmark update')
  rows.push(`| update calls/s (latency 0, ${UPDATE_CONCURRENCY} in flight), wall clock | ${updates.wall.toFixed(0)} | ≥ 300 | ${verdict(updates.wall, 300)} |`)
  rows.push(`| update calls/s per emulator CPU core | ${updates.perCore.toFixed(0)} | ≥ 300 | ${verdict(updates.perCore, 300)} |`)

  const ballastId = await newCanister('ballast')
  const ballast = Actor.createActor<BallastService>(ballastIdl, { agent, canisterId: ballastId })
  for (let grown = 0; grown < HEAP_MIB; grown += 16) await ballast.grow(16, 0)
  const checksum = await ballast.checksum()
  const { id: snapshotId } = await ic.takeCanisterSnapshot({ canisterId: ballastId })
  const metadata = await ic.readCanisterSnapshotMetadata({ canisterId: ballastId, snapshotId })
  const memorySize = Number(metadata.wasmMemorySize)
  const callUrl = `${url}/api/v4/canister/${ballastId.toText()}/call`
  const megabytes = memorySize / 1e6
  const label = `${megabytes.toFixed(0)} MB in 2 MB slices, ${DATA_CONCURRENCY} in flight`
  const report = (what: string, rate: { wall: number; perCore: number }, agentRate: { wall: number; perCore: number }): void => {
    rows.push(`| snapshot ${what} MB/s (${label}), pre-signed requests, wall clock | ${rate.wall.toFixed(0)} | ≥ 100 | ${verdict(rate.wall, 100)} |`)
    rows.push(`| snapshot ${what} MB/s per emulator CPU core | ${rate.perCore.toFixed(0)} | ≥ 100 | ${verdict(rate.perCore, 100)} |`)
    rows.push(`| snapshot ${what} MB/s through the JS agent (verifying every certificate), wall clock | ${agentRate.wall.toFixed(0)} | ≥ 100 | ${verdict(agentRate.wall, 100)} |`)
  }

  // Download: the emulator's own rate, then the JS agent's, which keeps the bytes for the upload.
  const reads = await Promise.all(
    offsets(memorySize).map((offset) => {
      const kind = { wasm_memory: { offset: BigInt(offset), size: BigInt(Math.min(SLICE, memorySize - offset)) } }
      return managementEnvelope('read_canister_snapshot_data', IDL.encode([ReadArg], [{ canister_id: ballastId, snapshot_id: snapshotId, kind }]))
    })
  )
  const download = await measure(pid, megabytes, () => sendAll(callUrl, reads, DATA_CONCURRENCY))
  const memory = new Uint8Array(memorySize)
  const agentDownload = await measure(pid, megabytes, () =>
    inParallel(reads.length, DATA_CONCURRENCY, async (index) => {
      const offset = index * SLICE
      const size = Math.min(SLICE, memorySize - offset)
      const { chunk } = await ic.readCanisterSnapshotData({ canisterId: ballastId, snapshotId, kind: { wasmMemory: { offset: BigInt(offset), size: BigInt(size) } } })
      memory.set(chunk, offset)
    })
  )
  report('download', download, agentDownload)

  // Upload: filler through pre-signed requests, then the downloaded heap through the JS agent.
  const scratch = await ic.uploadCanisterSnapshotMetadata({ canisterId: ballastId, metadata })
  const filler = new Uint8Array(SLICE).fill(0x5a)
  const uploads = await Promise.all(
    offsets(memorySize).map((offset) => {
      const chunk = filler.subarray(0, Math.min(SLICE, memorySize - offset))
      const arg = { canister_id: ballastId, snapshot_id: scratch.snapshot_id, kind: { wasm_memory: { offset: BigInt(offset) } }, chunk }
      return managementEnvelope('upload_canister_snapshot_data', IDL.encode([UploadArg], [arg]))
    })
  )
  const upload = await measure(pid, megabytes, () => sendAll(callUrl, uploads, DATA_CONCURRENCY))
  const restored = await ic.uploadCanisterSnapshotMetadata({ canisterId: ballastId, metadata })
  await copySmallParts(ic, ballastId, snapshotId, restored.snapshot_id, metadata)
  const agentUpload = await measure(pid, megabytes, () =>
    inParallel(uploads.length, DATA_CONCURRENCY, async (index) => {
      const offset = index * SLICE
      const chunk = memory.subarray(offset, Math.min(offset + SLICE, memorySize))
      await ic.uploadCanisterSnapshotData({ canisterId: ballastId, snapshotId: restored.snapshot_id, kind: { wasmMemory: { offset: BigInt(offset) } }, chunk })
    })
  )
  report('upload', upload, agentUpload)

  // The agent's round trip moved the heap byte for byte: loading it restores the checksum.
  await ballast.grow(1, 0)
  await ic.stopCanister(ballastId)
  await ic.loadCanisterSnapshot({ canisterId: ballastId, snapshotId: restored.snapshot_id })
  await ic.startCanister(ballastId)
  if ((await ballast.checksum()) !== checksum) throw new Error('The heap downloaded and uploaded through the agent does not restore the canister')
} finally {
  child.kill('SIGTERM')
}
process.stdout.write(['| emulator benchmark | result | target | verdict |', '|---|---|---|---|', ...rows, ''].join('\n'))

/** The module and stable memory (small here) copied from one snapshot into an uploaded one, untimed. */
async function copySmallParts(
  ic: IcManagementCanister,
  canisterId: Principal,
  from: Uint8Array,
  to: Uint8Array,
  metadata: { wasmModuleSize: bigint; stableMemorySize: bigint }
): Promise<void> {
  const parts = [
    ['wasmModule', Number(metadata.wasmModuleSize)],
    ['stableMemory', Number(metadata.stableMemorySize)]
  ] as const
  for (const [part, size] of parts) {
    for (const offset of offsets(size)) {
      const length = BigInt(Math.min(SLICE, size - offset))
      const readKind = part === 'wasmModule' ? { wasmModule: { offset: BigInt(offset), size: length } } : { stableMemory: { offset: BigInt(offset), size: length } }
      const { chunk } = await ic.readCanisterSnapshotData({ canisterId, snapshotId: from, kind: readKind })
      const uploadKind = part === 'wasmModule' ? { wasmModule: { offset: BigInt(offset) } } : { stableMemory: { offset: BigInt(offset) } }
      await ic.uploadCanisterSnapshotData({ canisterId, snapshotId: to, kind: uploadKind, chunk })
    }
  }
}
