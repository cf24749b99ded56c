/**
 * How fast the emulator serves, so it is never the bottleneck of other benchmarks: update calls per
 * second with latency 0 (target ≥ 300/s) and snapshot data streamed through
 * read/upload_canister_snapshot_data (target ≥ 100 MB/s).
 *
 * The emulator runs as `npm run emulator` in its own process, as users run it; requests are signed
 * before the clock starts and sent over real HTTP by a client that does not verify certificates,
 * so the numbers measure the emulator rather than the client.
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
const DATA_CONCURRENCY = 8
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
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/src/cli.ts', '--port', '0', '--seed', 'bench'], { stdio: ['ignore', 'pipe', 'inherit'] })
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

/** Sends every envelope with at most `concurrency` in flight; each must come back `replied`. */
async function sendAll(url: string, envelopes: Envelope[], concurrency: number): Promise<number> {
  let next = 0
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (next < envelopes.length) {
      const envelope = envelopes[next++] as Envelope
      const response = await post(url, envelope.body)
      const status = response.status === 200 ? response.cbor().status : undefined
      if (status !== 'replied') throw new Error(`A benchmark call was not replied: HTTP ${response.status} ${String(status ?? response.text)}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return (performance.now() - started) / 1000
}

function managementEnvelope(method: string, arg: ArrayBuffer | Uint8Array): Promise<Envelope> {
  return signedEnvelope(identity, { ...callContent(identity, MANAGEMENT, method), arg: new Uint8Array(arg) })
}

const verdict = (value: number, target: number): string => (value >= target ? 'ok' : 'BELOW TARGET')

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
  const { id: snapshotId } = await ic.takeCanisterSnapshot({ canisterId: ballastId })
  const metadata = await ic.readCanisterSnapshotMetadata({ canisterId: ballastId, snapshotId })
  const memorySize = Number(metadata.wasmMemorySize)
  const callUrl = `${url}/api/v4/canister/${ballastId.toText()}/call`
  const megabytes = (memorySize / 1e6).toFixed(0)

  const reads: Envelope[] = []
  for (let offset = 0; offset < memorySize; offset += SLICE) {
    const size = Math.min(SLICE, memorySize - offset)
    const kind = { wasm_memory: { offset: BigInt(offset), size: BigInt(size) } }
    reads.push(await managementEnvelope('read_canister_snapshot_data', IDL.encode([ReadArg], [{ canister_id: ballastId, snapshot_id: snapshotId, kind }])))
  }
  const download = await measure(pid, memorySize / 1e6, () => sendAll(callUrl, reads, DATA_CONCURRENCY))
  rows.push(`| snapshot download MB/s (read_canister_snapshot_data, ${megabytes} MB in 2 MB slices), wall clock | ${download.wall.toFixed(0)} | ≥ 100 | ${verdict(download.wall, 100)} |`)
  rows.push(`| snapshot download MB/s per emulator CPU core | ${download.perCore.toFixed(0)} | ≥ 100 | ${verdict(download.perCore, 100)} |`)

  const uploaded = await ic.uploadCanisterSnapshotMetadata({ canisterId: ballastId, metadata })
  const filler = new Uint8Array(SLICE).fill(0x5a)
  const uploads: Envelope[] = []
  for (let offset = 0; offset < memorySize; offset += SLICE) {
    const chunk = filler.subarray(0, Math.min(SLICE, memorySize - offset))
    const arg = { canister_id: ballastId, snapshot_id: uploaded.snapshot_id, kind: { wasm_memory: { offset: BigInt(offset) } }, chunk }
    uploads.push(await managementEnvelope('upload_canister_snapshot_data', IDL.encode([UploadArg], [arg])))
  }
  const upload = await measure(pid, memorySize / 1e6, () => sendAll(callUrl, uploads, DATA_CONCURRENCY))
  rows.push(`| snapshot upload MB/s (upload_canister_snapshot_data, ${megabytes} MB in 2 MB chunks), wall clock | ${upload.wall.toFixed(0)} | ≥ 100 | ${verdict(upload.wall, 100)} |`)
  rows.push(`| snapshot upload MB/s per emulator CPU core | ${upload.perCore.toFixed(0)} | ≥ 100 | ${verdict(upload.perCore, 100)} |`)
} finally {
  child.kill('SIGTERM')
}
process.stdout.write(['| emulator benchmark | result | target | verdict |', '|---|---|---|---|', ...rows, ''].join('\n'))
