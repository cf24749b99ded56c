/**
 * Fleet benchmark: snapshotting 50 canisters in one consistent cut (stop all → take all → start
 * all) against snapshotting one, with the emulator at 300 ms per update call (one consensus round).
 * Targets (issue "Fleets and retention"): 50 canisters take at most 1.5× the wall time of one, and
 * every canister's downtime stays within 1.5× of the single canister's.
 *
 *   npx tsx bench/fleet.bench.ts                     prints a markdown table with a verdict per target row
 *   npx tsx bench/fleet.bench.ts --profile mainnet   on the emulator's mainnet profile, one run per row,
 *                                                    with icp 1.5.0 doing the same fleet: one
 *                                                    stop → snapshot create → start chain per canister,
 *                                                    all 50 chains at once (`xargs -P 50`), its best case
 *
 * Runs that fail (a snapshot not taken, a canister left stopped) exit non-zero; a missed speed
 * target is reported in the table, not as a failure, so `npm run bench` always prints every table.
 */
import { execFile } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import { PROFILES } from '../emulator/src/http/pacing.js'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import { runSnapshot } from '../src/core/commands/snapshot.js'
import { DEFAULT_CONCURRENCY } from '../src/core/commands/prune.js'
import { Deadline } from '../src/core/deadline.js'
import { parseIdentity } from '../src/core/identity.js'
import { createAgent } from '../src/core/ic/agent.js'
import { ManagementClient } from '../src/core/ic/management.js'
import { silentLogger } from '../src/core/logger.js'
import { MemoryStateStore } from '../src/core/state.js'
import { startEmulatorProcess } from './emulator-process.js'
import { icpBinary } from '../__tests__/helpers/icp.js'
import { mainnetProfile } from './profile.js'

const mainnet = mainnetProfile()
const LATENCY_MS = mainnet ? PROFILES.mainnet.updateLatencyMs : 300
const FLEET = 50
/** At mainnet pace a run is set by the pacing (2 s rounds), not by this machine's load. */
const REPEATS = mainnet ? 1 : 3
const TARGET_RATIO = 1.5

interface Measurement {
  wallMs: number
  /** The longest downtime of any canister in the run. */
  maxDowntimeMs: number
  /** CPU time of this process (the client; the emulator runs in its own process) during the run. */
  cpuMs: number
}

interface Row {
  label: string
  canisters: number
  concurrency: number
  wallMs: number
  maxDowntimeMs: number
  cpuMs: number
  target: boolean
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { env, timeout: 300_000 }, (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || error.message}`))
    )
  )
}

async function main(): Promise<void> {
  const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
  const identity = parseIdentity(pem).identity
  const net = await startEmulatorProcess({ seed: 'fleet-bench', ...(mainnet ? { profile: 'mainnet' as const } : { latencyMs: LATENCY_MS }) })
  const home = await mkdtemp(join(tmpdir(), 'fleet-bench-icp-'))
  try {
    // The agent exactly as the action builds it: certificates and query signatures verified.
    const agent = await createAgent({ host: net.url, identity, rootKey: { kind: 'pinned', key: net.rootKey, mainnet: false } })
    const client = ManagementClient.create({ agent, host: net.url, network: net.url, principal: identity.getPrincipal().toText() })
    const wasmModule = await loadCanisterModule('counter_v1')
    // Canisters are created the way a local replica allows any caller to: over the interface.
    const ic = IcManagementCanister.create({ agent })
    const createCanister = async (): Promise<Principal> => {
      const canisterId = await ic.provisionalCreateCanisterWithCycles({ settings: { controllers: [identity.getPrincipal().toText()] } })
      await ic.installCode({ mode: { install: null }, canisterId, wasmModule, arg: new Uint8Array() })
      return canisterId
    }

    const snapshotFleet = async (count: number, concurrency: number): Promise<Measurement> => {
      const canisters: Principal[] = []
      canisters.push(...(await Promise.all(Array.from({ length: count }, createCanister))))
      const started = performance.now()
      const cpuBefore = process.cpuUsage()
      const result = await runSnapshot(
        { client, logger: silentLogger, state: new MemoryStateStore(), deadline: new Deadline(600), concurrency },
        { operation: 'snapshot', canisters, replace: [], stop: true, stopTimeoutSeconds: 120, dryRun: false }
      )
      const wallMs = performance.now() - started
      const cpu = process.cpuUsage(cpuBefore)
      const failed = result.results.filter((r) => r.outcome !== 'ok')
      if (failed.length > 0) throw new Error(`${failed.length} snapshot(s) failed: ${failed[0]?.error ?? ''}`)
      const statuses = await Promise.all(canisters.map((c) => client.canisterStatus(c)))
      const stillStopped = statuses.filter((s) => s.status !== 'running')
      if (stillStopped.length > 0) throw new Error(`${stillStopped.length} canister(s) left stopped`)
      return { wallMs, maxDowntimeMs: Math.max(...result.results.map((r) => r.downtimeMs ?? 0)), cpuMs: (cpu.user + cpu.system) / 1000 }
    }

    /** Median of REPEATS runs (by wall time), after one warm-up run that is discarded. */
    const median = async (count: number, concurrency: number): Promise<Measurement> => {
      await snapshotFleet(Math.min(count, 2), concurrency)
      const runs: Measurement[] = []
      for (let i = 0; i < REPEATS; i++) runs.push(await snapshotFleet(count, concurrency))
      runs.sort((a, b) => a.wallMs - b.wallMs)
      return runs[Math.floor(REPEATS / 2)] as Measurement
    }

    const rows: Row[] = []
    const one = await median(1, FLEET)
    rows.push({ label: 'one canister', canisters: 1, concurrency: FLEET, ...one, target: false })
    rows.push({ label: 'fleet, concurrency = fleet size', canisters: FLEET, concurrency: FLEET, ...(await median(FLEET, FLEET)), target: true })
    rows.push({
      label: 'fleet, default concurrency',
      canisters: FLEET,
      concurrency: DEFAULT_CONCURRENCY,
      ...(await median(FLEET, DEFAULT_CONCURRENCY)),
      target: false
    })
    if (mainnet) {
      const env = { ...process.env, ICP_HOME: home, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0', NO_COLOR: '1' }
      const pemFile = join(home, 'bench.pem')
      await writeFile(pemFile, pem, { mode: 0o600 })
      const ICP = icpBinary()
      await exec(ICP, ['identity', 'import', '--storage', 'plaintext', '--from-pem', pemFile, 'bench'], env)
      const icp = (...args: string[]): Promise<string> => exec(ICP, [...args, '--identity', 'bench', '--network', net.url, '--root-key', Buffer.from(net.rootKey).toString('hex')], env)
      const canisters = await Promise.all(Array.from({ length: FLEET }, createCanister))
      const started = performance.now()
      const downtimes = await Promise.all(
        canisters.map(async (c) => {
          const stopAt = performance.now()
          await icp('canister', 'stop', c.toText())
          await icp('canister', 'snapshot', 'create', c.toText())
          await icp('canister', 'start', c.toText())
          return performance.now() - stopAt
        })
      )
      const wallMs = performance.now() - started
      const snapshots = await Promise.all(canisters.map((c) => client.listSnapshots(c)))
      if (snapshots.some((s) => s.length !== 1)) throw new Error('icp did not take one snapshot of every canister')
      rows.push({ label: 'icp 1.5.0: 50 stop → snapshot create → start chains at once', canisters: FLEET, concurrency: FLEET, wallMs, maxDowntimeMs: Math.max(...downtimes), cpuMs: Number.NaN, target: false })
    }
    print(rows, one)
  } finally {
    await net.close()
    await rm(home, { recursive: true, force: true })
  }
}

function print(rows: Row[], base: Measurement): void {
  const s = (ms: number) => (ms / 1000).toFixed(2)
  const ratio = (value: number, of: number) => (value / of).toFixed(2)
  const model = mainnet ? `mainnet profile: ${LATENCY_MS} ms per update call, ${PROFILES.mainnet.roundTripMs} ms per query, ingress per block capped` : `${LATENCY_MS} ms per update call`
  console.log(`### Fleet snapshot (emulator, ${model}, ${REPEATS === 1 ? 'one run per row' : `median of ${REPEATS}`})\n`)
  console.log('| run | canisters | concurrency | wall time (s) | × one | max downtime (s) | × one | CPU (s) | target ≤ 1.5× |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const row of rows) {
    const wallRatio = row.wallMs / base.wallMs
    const downRatio = row.maxDowntimeMs / base.maxDowntimeMs
    const verdict = row.target ? (wallRatio <= TARGET_RATIO && downRatio <= TARGET_RATIO ? 'met' : 'MISSED') : '—'
    console.log(
      `| ${row.label} | ${row.canisters} | ${row.concurrency} | ${s(row.wallMs)} | ${ratio(row.wallMs, base.wallMs)} | ` +
        `${s(row.maxDowntimeMs)} | ${ratio(row.maxDowntimeMs, base.maxDowntimeMs)} | ${Number.isNaN(row.cpuMs) ? '–' : s(row.cpuMs)} | ${verdict} |`
    )
  }
  console.log(
    `\nWall time runs from the first status check to the last start; downtime from a canister's stop call to the end of its start call. ` +
      `With the default concurrency (${DEFAULT_CONCURRENCY}), each phase needs ⌈${FLEET}/${DEFAULT_CONCURRENCY}⌉ rounds; set 'concurrency' to the fleet size to get one round per phase. ` +
      `The emulator runs in its own process (npm run emulator); CPU is the client's alone: when it approaches the wall time, the run is bound by certificate verification, not by the network.`
  )
}

await main()
