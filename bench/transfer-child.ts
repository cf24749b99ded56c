/**
 * One transfer by this tool, run in its own process by transfer.bench.ts so that its peak RSS is
 * its own. The bench bundles this file with ncc first, as `dist/` is bundled, so the figure is
 * what the shipped action uses rather than what a TypeScript loader adds.
 */
import { readFile } from 'node:fs/promises'
import { Principal } from '@icp-sdk/core/principal'
import { runDownload } from '../src/core/commands/download.js'
import { runUpload } from '../src/core/commands/upload.js'
import { Deadline } from '../src/core/deadline.js'
import { parseIdentity } from '../src/core/identity.js'
import { silentLogger } from '../src/core/logger.js'
import { connect } from '../src/core/session.js'
import { MemoryStateStore } from '../src/core/state.js'

export interface ChildJob {
  op: 'download' | 'upload'
  url: string
  rootKeyHex: string
  pem: string
  canister: string
  snapshotId?: string
  path: string
  concurrency: number
}

export interface Measured {
  bytes: number
  /** The transfer: from the command's start to its end, inside the process (after start-up). */
  ms: number
  /** The whole process, spawn to exit, as `icp` is measured; set by the parent. */
  processMs?: number
  peakRssBytes: number
}

async function run(job: ChildJob): Promise<Measured> {
  const identity = parseIdentity(job.pem)
  const client = await connect({
    identity,
    network: { name: 'local', host: job.url, rootKey: { kind: 'pinned', key: Uint8Array.from(Buffer.from(job.rootKeyHex, 'hex')), mainnet: false } }
  })
  if (process.env.TRANSFER_BENCH_TRACE === '1') traceCalls(client)
  const ctx = { client, logger: silentLogger, state: new MemoryStateStore(), deadline: new Deadline(3600), concurrency: 1 }
  const canister = Principal.fromText(job.canister)
  const started = performance.now()
  const result =
    job.op === 'download'
      ? await runDownload(ctx, {
          operation: 'download',
          canister,
          snapshot: { kind: 'id', id: job.snapshotId ?? '' },
          path: job.path,
          archive: false,
          encryption: undefined,
          concurrency: job.concurrency,
          resume: false,
          stop: true,
          stopTimeoutSeconds: 60,
          network: 'local',
          tool: { name: 'canister-snapshot-action', version: 'bench' }
        })
      : await runUpload(ctx, {
          operation: 'upload',
          canister,
          path: job.path,
          decryption: undefined,
          replace: undefined,
          load: false,
          concurrency: job.concurrency,
          resume: false,
          stopTimeoutSeconds: 60
        })
  return { bytes: result.stats.bytesTransferred, ms: performance.now() - started, peakRssBytes: await peakRss() }
}

/**
 * VmHWM of this process. Not `process.resourceUsage().maxRSS`: Linux carries `ru_maxrss` over
 * fork and exec, so a child would report the (large) emulator parent's peak.
 */
async function peakRss(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024
}

/** Traces the data calls to stderr: memory every 16 calls (retained memory vs garbage), latency and CPU at exit. */
function traceCalls(client: Awaited<ReturnType<typeof connect>>): void {
  let calls = 0
  const log = (): void => {
    if (++calls % 16 !== 0) return
    const m = process.memoryUsage()
    process.stderr.write(`calls ${calls}: rss ${Math.round(m.rss / 1e6)} MB, heap ${Math.round(m.heapUsed / 1e6)}/${Math.round(m.heapTotal / 1e6)} MB, external ${Math.round(m.external / 1e6)} MB, array buffers ${Math.round(m.arrayBuffers / 1e6)} MB\n`)
  }
  // How long each data call takes end to end, and how many were in flight when it started.
  const durations: number[] = []
  let inFlight = 0
  let inFlightSum = 0
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    inFlightSum += inFlight++
    try {
      return await call()
    } finally {
      inFlight--
      durations.push(performance.now() - started)
      log()
    }
  }
  process.on('exit', () => {
    const sorted = durations.sort((a, b) => a - b)
    const at = (q: number): string => (sorted[Math.floor(sorted.length * q)] ?? Number.NaN).toFixed(0)
    const cpu = process.cpuUsage()
    process.stderr.write(
      `data calls ${sorted.length}: ms p10/p50/p90 ${at(0.1)}/${at(0.5)}/${at(0.9)}, others in flight at start ${(inFlightSum / Math.max(1, sorted.length)).toFixed(1)}, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s in ${process.uptime().toFixed(2)} s\n`
    )
  })
  const read = client.readCanisterSnapshotData.bind(client)
  const write = client.uploadCanisterSnapshotData.bind(client)
  client.readCanisterSnapshotData = async (p) => timed(() => read(p))
  client.uploadCanisterSnapshotData = async (p) => timed(() => write(p))
}

if (process.argv[2] === '--job') {
  const measured = await run(JSON.parse(process.argv[3] ?? '{}') as ChildJob)
  process.stdout.write(`${JSON.stringify(measured)}\n`)
}
