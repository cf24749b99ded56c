/**
 * A 512 MiB snapshot of a canister on subnet A loaded onto a canister on subnet B, three ways, on
 * the latency model of the transfer rows (300 ms per update call, at most C = 16 update calls in
 * flight on each subnet), each path run as the processes a user would run:
 *
 * 1. ours: `canister-snapshot copy` (streamed from A to B, every slice verified, then loaded; no disk);
 * 2. ours through disk: `canister-snapshot download`, then `upload --load`;
 * 3. icp 1.5.0 through disk: `icp canister snapshot download`, `upload`, then `icp canister stop`,
 *    `snapshot restore`, `start` (icp's upload does not load).
 *
 * Ours is the shipped CLI bundle (dist/cli/index.js) with its default concurrency (16); the copy
 * runs once more with 2 × 16 slices in flight, because each of its slices holds a slot on only one
 * subnet at a time (read on A, then write on B), so 16 slices keep neither subnet's 16 slots full. The copy
 * runs with `--no-safety-snapshot`, as neither two-step path takes one. Every path must leave the
 * target running the source's state (the ballast checksum is compared), or the bench fails.
 *
 *   npx tsx bench/copy.bench.ts            512 MiB (a few minutes)
 *   npx tsx bench/copy.bench.ts --quick    32 MiB, to check the script itself
 *
 * Not on the mainnet profile: there each path is bounded by the ingress blocks of subnet B (about
 * 4 MB/s, so over two minutes per path for 512 MiB, over eight for the four).
 */
import { execFile } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import type { Principal } from '@icp-sdk/core/principal'
import { ballastIdl, loadCanisterModule, type BallastService } from '../emulator/canisters/index.js'
import { Emulator } from '../emulator/src/index.js'
import { blobSizes } from '../src/core/backup/layout.js'
import { parseIdentity } from '../src/core/identity.js'
import { connect } from '../src/core/session.js'
import { icpBinary } from '../__tests__/helpers/icp.js'
import { sampleDowntime } from './downtime.js'
import { measureProcess, type ProcessCost } from './process-meter.js'

const LATENCY_MS = 300
const C = 16
const ICP = icpBinary()
const CLI = join(process.cwd(), 'dist', 'cli', 'index.js')
const quick = process.argv.includes('--quick')
const HALF_MIB = quick ? 16 : 256

interface PathResult {
  path: string
  processes: number
  wallMs: number
  /** The target not running (stop → load → start), sampled in the emulator: the load part of the path. */
  downMs: number
  peakRssBytes: number
  diskWriteBytes: number
  /** CPU time of the path's processes (the emulator's is not counted). */
  cpuMs: number
  /** CPU time of this process meanwhile: the emulator's work for the path (and this bench's sampling). */
  emulatorCpuMs: number
}

/** Runs the steps of one path one after another; the path's cost is their sum, its peak the highest. */
async function runPath(net: Emulator, target: Principal, path: string, steps: (() => Promise<ProcessCost>)[]): Promise<PathResult> {
  const costs: ProcessCost[] = []
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const { downtimeMs: downMs } = await sampleDowntime(net, target, async () => {
    for (const step of steps) costs.push(await step())
  })
  const cpu = process.cpuUsage(cpuBefore)
  return {
    path,
    processes: costs.length,
    wallMs: performance.now() - started,
    downMs,
    peakRssBytes: Math.max(...costs.map((c) => c.peakRssBytes)),
    diskWriteBytes: costs.reduce((a, c) => a + c.diskWriteBytes, 0),
    cpuMs: costs.reduce((a, c) => a + c.cpuMs, 0),
    emulatorCpuMs: (cpu.user + cpu.system) / 1000
  }
}

async function main(): Promise<void> {
  const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
  const identity = parseIdentity(pem)
  const work = await mkdtemp(join(tmpdir(), 'copy-bench-'))
  const pemFile = join(work, 'ci.pem')
  await writeFile(pemFile, pem, { mode: 0o600 })
  const icpHome = join(work, 'icp-home')
  const icpEnv = { ...process.env, ICP_HOME: icpHome, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0', NO_COLOR: '1' }
  await new Promise<void>((resolve, reject) =>
    execFile(ICP, ['identity', 'import', '--storage', 'plaintext', '--from-pem', pemFile, 'ci'], { env: icpEnv }, (e) => (e === null ? resolve() : reject(e)))
  )
  const ballastModule = await loadCanisterModule('ballast')
  const net = await Emulator.start({ seed: 'copy-bench', subnets: 2, latencyMs: LATENCY_MS, maxInFlightUpdates: C })
  const rows: PathResult[] = []
  let bytes = 0
  try {
    const controllers = [identity.identity.getPrincipal()]
    const agent = await HttpAgent.create({ host: net.url, identity: identity.identity, rootKey: net.rootKey })
    const ballast = (canisterId: Principal): BallastService => Actor.createActor<BallastService>(ballastIdl, { agent, canisterId })
    const source = await net.createCanister({ controllers, wasmModule: ballastModule, subnet: 0 })
    const checksum = await ballast(source).grow(HALF_MIB, HALF_MIB)
    const client = await connect({ identity, network: { name: 'local', host: net.url, rootKey: { kind: 'pinned', key: net.rootKey, mainnet: false } } })
    const snapshot = await client.takeSnapshot({ canisterId: source })
    bytes = Object.values(blobSizes(await client.readCanisterSnapshotMetadata({ canisterId: source, snapshotId: snapshot.id }))).reduce((a, b) => a + b, 0)
    const newTarget = (): Promise<Principal> => net.createCanister({ controllers, wasmModule: ballastModule, subnet: 1 })

    const ours = (...args: string[]) => () => measureProcess(process.execPath, [CLI, ...args, '--network', net.url, '--root-key', net.rootKeyHex, '--identity-file', pemFile])
    const icp = (...args: string[]) => () => measureProcess(ICP, [...args, '--identity', 'ci', '--network', net.url, '--root-key', net.rootKeyHex], icpEnv)

    const measure = async (path: string, steps: (target: Principal, dir: string) => (() => Promise<ProcessCost>)[]): Promise<void> => {
      const target = await newTarget()
      const dir = join(work, `backup-${rows.length}`)
      process.stderr.write(`copy bench: ${path}\n`)
      const row = await runPath(net, target, path, steps(target, dir))
      if ((await ballast(target).checksum()) !== checksum) throw new Error(`${path}: the target does not hold the source's state afterwards`)
      rows.push(row)
      await rm(dir, { recursive: true, force: true })
      // The emulator holds every snapshot in memory: free the target's before the next path.
      for (const s of await client.listSnapshots(target)) await client.deleteSnapshot({ canisterId: target, snapshotId: s.id })
    }

    await measure('ours: `copy` (streamed A → B, verified, loaded)', (target) => [
      ours('copy', target.toText(), '--from-canister', source.toText(), '--snapshot-id', snapshot.id, '--no-safety-snapshot')
    ])
    await measure(`ours: \`copy --concurrency ${2 * C}\``, (target) => [
      ours('copy', target.toText(), '--from-canister', source.toText(), '--snapshot-id', snapshot.id, '--no-safety-snapshot', '--concurrency', String(2 * C))
    ])
    await measure('ours: `download` to disk, then `upload --load`', (target, dir) => [
      ours('download', source.toText(), '--snapshot-id', snapshot.id, '--path', dir),
      ours('upload', target.toText(), '--path', dir, '--load')
    ])
    await measure('icp 1.5.0: `snapshot download`, `upload`, then `stop`, `snapshot restore`, `start`', (target, dir) => {
      let uploaded = ''
      const upload = icp('canister', 'snapshot', 'upload', target.toText(), '-i', dir, '--quiet')
      return [
        icp('canister', 'snapshot', 'download', source.toText(), snapshot.id, '-o', dir),
        async () => {
          const cost = await upload()
          uploaded = cost.stdout.trim().split('\n').at(-1)?.trim() ?? ''
          return cost
        },
        icp('canister', 'stop', target.toText()),
        () => icp('canister', 'snapshot', 'restore', target.toText(), uploaded)(),
        icp('canister', 'start', target.toText())
      ]
    })
  } finally {
    await net.close()
    await rm(work, { recursive: true, force: true })
  }

  const mib = bytes / 1024 / 1024
  const copyMs = rows[0]?.wallMs ?? Number.NaN
  const mbps = (r: PathResult): number => bytes / 1e6 / (r.wallMs / 1000)
  console.log(`### Snapshot copy across subnets (emulator, two subnets, ${LATENCY_MS} ms per update call, at most ${C} update calls in flight per subnet, one run per row)\n`)
  console.log('| path | processes | wall time | MB/s | × copy | load (canister down) | client CPU | emulator CPU | peak RSS | written to disk |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(
      `| ${mib.toFixed(0)} MiB A → B: ${r.path} | ${r.processes} | ${(r.wallMs / 1000).toFixed(1)} s | ${mbps(r).toFixed(1)} | ${(r.wallMs / copyMs).toFixed(2)}× | ${(r.downMs / 1000).toFixed(2)} s | ${(r.cpuMs / 1000).toFixed(1)} s | ${(r.emulatorCpuMs / 1000).toFixed(1)} s | ${(r.peakRssBytes / 1e6).toFixed(0)} MB | ${(r.diskWriteBytes / 1e6).toFixed(1)} MB |`
    )
  }
  const [copy, copyWide, oursDisk, icpDisk] = rows
  if (copy !== undefined && copyWide !== undefined && oursDisk !== undefined && icpDisk !== undefined) {
    console.log(
      `\nWall time from the first process's start to the last one's exit; MB/s is the snapshot's ${(bytes / 1e6).toFixed(0)} MB over that time. The copy moves the bytes once over the network and reads them back from B to verify every slice (${((2 * bytes) / 1e6).toFixed(0)} MB of reads, ${(bytes / 1e6).toFixed(0)} MB of writes); the two-step paths read and write each once and go through disk. Load: the time the emulator saw the target not running. Client CPU: user and system time of the path's processes (the emulator's not included); emulator CPU: the bench process's meanwhile, which runs the emulator. Peak RSS: the highest of the path's processes. Written to disk: write_bytes of the path's processes.`
    )
    console.log(
      `Copy: ${(copy.wallMs / 1000).toFixed(1)} s (${(copyWide.wallMs / 1000).toFixed(1)} s with ${2 * C} slices in flight); ours through disk ${(oursDisk.wallMs / 1000).toFixed(1)} s (${(oursDisk.wallMs / copy.wallMs).toFixed(2)}× the copy's time), icp through disk ${(icpDisk.wallMs / 1000).toFixed(1)} s (${(icpDisk.wallMs / copy.wallMs).toFixed(2)}×); the copy wrote ${(copy.diskWriteBytes / 1e6).toFixed(1)} MB to disk against ${(oursDisk.diskWriteBytes / 1e6).toFixed(0)} and ${(icpDisk.diskWriteBytes / 1e6).toFixed(0)} MB.`
    )
  }
}

await main()
