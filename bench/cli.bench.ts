/**
 * Whole-process comparisons with `icp` 1.5.0 on the emulator at 300 ms per update call (one
 * consensus round; queries and read_state answer at once; no cap on calls in flight):
 *
 * 1. cold start: `node dist/index.js` (the bundled action, INPUT_* environment) running `list` vs
 *    `icp canister snapshot list`, each a fresh process;
 * 2. snapshot-and-restart: the action's `snapshot` vs `icp canister stop` → `snapshot create` →
 *    `start` (three processes, as people do it by hand);
 * 3. rollback: the action's `rollback` (with and without the safety snapshot) vs `icp canister
 *    stop` → `snapshot restore` → `start`.
 *
 * Downtime is measured by the emulator itself: its canister status is sampled every 2 ms, and every
 * interval in which the canister is not `running` counts. Floors: wall time = sequential update
 * calls × latency; downtime = update rounds between the stop's execution and the start's.
 *
 *   npx tsx bench/cli.bench.ts                     prints one markdown table
 *   npx tsx bench/cli.bench.ts --profile mainnet   the same on the emulator's mainnet profile (update
 *                                                  calls 2 s, queries 0.25 s): what a user waits for
 */
import { execFile } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import { Emulator, PROFILES } from '../emulator/src/index.js'
import { parseIdentity } from '../src/core/identity.js'
import { runStep } from '../scripts/lib/runner.js'
import { icpBinary } from '../__tests__/helpers/icp.js'
import { sampleDowntime } from './downtime.js'
import { mainnetProfile } from './profile.js'

const mainnet = mainnetProfile()
const LATENCY_MS = mainnet ? PROFILES.mainnet.updateLatencyMs : 300
/** At mainnet pace a run is set by the pacing, not by this machine's load: fewer repeats suffice. */
const REPEATS = mainnet ? 3 : 5
const ICP = icpBinary()

interface Measured {
  wallMs: number
  downtimeMs: number
}

interface Row {
  measurement: string
  ours: Measured[]
  icp: Measured[]
  /** Floors for ours and for icp: wall time and downtime in ms. */
  floorOurs: Measured
  floorIcp: Measured
  /** Ours must be at most this many times icp's median wall time (undefined = no target). */
  target?: string
  withinTarget?: (ours: number, icp: number) => boolean
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

/** Wall time and downtime of `fn`; a canister left stopped fails the benchmark. */
async function measure(net: Emulator, id: Principal, fn: () => Promise<void>): Promise<Measured> {
  const { wallMs, downtimeMs, leftStopped } = await sampleDowntime(net, id, fn)
  if (leftStopped) throw new Error(`canister ${id.toText()} was left stopped`)
  return { wallMs, downtimeMs }
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || error.message}`))
    )
  )
}

const net = await Emulator.start({ seed: 'cli-bench', ...(mainnet ? { profile: 'mainnet' as const } : { latencyMs: LATENCY_MS }) })
const home = await mkdtemp(join(tmpdir(), 'cli-bench-icp-'))
try {
  const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
  const identity = parseIdentity(pem)
  const v1 = await loadCanisterModule('counter_v1')
  const newCanister = (): Promise<Principal> => net.createCanister({ controllers: [identity.identity.getPrincipal()], wasmModule: v1 })

  const icpEnv = { ...process.env, ICP_HOME: home, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0', NO_COLOR: '1' }
  const pemFile = join(home, 'bench.pem')
  await writeFile(pemFile, pem, { mode: 0o600 })
  await exec(ICP, ['identity', 'import', '--storage', 'plaintext', '--from-pem', pemFile, 'bench'], icpEnv)
  const icpArgs = ['--identity', 'bench', '--network', net.url, '--root-key', net.rootKeyHex]
  const icp = (...args: string[]): Promise<string> => exec(ICP, [...args, ...icpArgs], icpEnv)
  const action = async (inputs: Record<string, string>): Promise<Record<string, string>> => {
    const run = await runStep({ inputs: { network: net.url, 'root-key': net.rootKeyHex, identity: pem, ...inputs } })
    if (run.exitCode !== 0) throw new Error(`the action failed: ${run.stdout.split('\n').filter((l) => l.startsWith('::error')).join(' ')}`)
    return run.outputs
  }

  const rows: Row[] = []
  const L = LATENCY_MS

  {
    const id = await newCanister()
    await action({ canister: id.toText(), stop: 'false' }) // something to list
    const ours: Measured[] = []
    const theirs: Measured[] = []
    for (let i = 0; i < REPEATS; i++) {
      ours.push(await measure(net, id, async () => void (await action({ canister: id.toText(), operation: 'list' }))))
      theirs.push(await measure(net, id, async () => void (await icp('canister', 'snapshot', 'list', id.toText()))))
    }
    rows.push({
      measurement: 'cold start: `list` as a whole process',
      ours,
      icp: theirs,
      floorOurs: { wallMs: L, downtimeMs: 0 },
      floorIcp: { wallMs: L, downtimeMs: 0 },
      target: '≤ 2× icp',
      withinTarget: (o, t) => o <= 2 * t
    })
  }

  {
    const ours: Measured[] = []
    const theirs: Measured[] = []
    for (let i = 0; i < REPEATS; i++) {
      const a = await newCanister()
      ours.push(await measure(net, a, async () => void (await action({ canister: a.toText() }))))
      const b = await newCanister()
      theirs.push(
        await measure(net, b, async () => {
          await icp('canister', 'stop', b.toText())
          await icp('canister', 'snapshot', 'create', b.toText())
          await icp('canister', 'start', b.toText())
        })
      )
    }
    rows.push({
      measurement: 'snapshot-and-restart cycle',
      ours,
      icp: theirs,
      // ours: list, stop, take, start; icp: stop, create, start. Down from the stop's round to the start's.
      floorOurs: { wallMs: 4 * L, downtimeMs: 2 * L },
      floorIcp: { wallMs: 3 * L, downtimeMs: 2 * L },
      target: 'downtime ≤ icp',
      withinTarget: (o, t) => o <= t
    })
  }

  for (const safety of [false, true]) {
    const ours: Measured[] = []
    const theirs: Measured[] = []
    for (let i = 0; i < REPEATS; i++) {
      const a = await newCanister()
      const snapA = (await action({ canister: a.toText(), stop: 'false' }))['snapshot-id'] ?? ''
      ours.push(await measure(net, a, async () => void (await action({ canister: a.toText(), operation: 'rollback', 'snapshot-id': snapA, 'safety-snapshot': String(safety) }))))
      if (!safety) {
        const b = await newCanister()
        await icp('canister', 'stop', b.toText())
        const created = await icp('canister', 'snapshot', 'create', b.toText(), '--json')
        await icp('canister', 'start', b.toText())
        const snapB = (JSON.parse(created) as { snapshot_id: string }).snapshot_id
        theirs.push(
          await measure(net, b, async () => {
            await icp('canister', 'stop', b.toText())
            await icp('canister', 'snapshot', 'restore', b.toText(), snapB)
            await icp('canister', 'start', b.toText())
          })
        )
      }
    }
    rows.push({
      measurement: safety ? 'rollback cycle, with safety snapshot (icp: no equivalent)' : 'rollback cycle (safety-snapshot: false)',
      ours,
      icp: theirs,
      // ours: list, stop, [take], load, start; icp: stop, restore, start.
      floorOurs: { wallMs: (safety ? 5 : 4) * L, downtimeMs: (safety ? 3 : 2) * L },
      floorIcp: { wallMs: 3 * L, downtimeMs: 2 * L },
      ...(safety ? {} : { target: 'downtime ≤ icp', withinTarget: (o: number, t: number) => o <= t })
    })
  }

  const s = (ms: number): string => (Number.isNaN(ms) ? '–' : `${(ms / 1000).toFixed(2)} s`)
  const model = mainnet
    ? `mainnet profile: ${L} ms per update call, ${PROFILES.mainnet.roundTripMs} ms per query and read_state, ingress per block capped`
    : `${L} ms per update call, queries immediate`
  console.log(`### Action and CLI vs icp 1.5.0 (emulator, ${model}, median of ${REPEATS})\n`)
  console.log('| measurement | ours: wall | ours: downtime | icp: wall | icp: downtime | floor ours (wall / down) | floor icp (wall / down) | target | verdict |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---|---|')
  let missed = 0
  for (const r of rows) {
    const ow = median(r.ours.map((m) => m.wallMs))
    const od = median(r.ours.map((m) => m.downtimeMs))
    const iw = median(r.icp.map((m) => m.wallMs))
    const id = median(r.icp.map((m) => m.downtimeMs))
    const compared = r.measurement.startsWith('cold start') ? [ow, iw] : [od, id]
    const verdict = r.withinTarget === undefined ? '–' : r.withinTarget(compared[0] as number, compared[1] as number) ? 'met' : 'missed'
    if (verdict === 'missed') missed++
    console.log(
      `| ${r.measurement} | ${s(ow)} | ${s(od)} | ${s(iw)} | ${s(id)} | ${s(r.floorOurs.wallMs)} / ${s(r.floorOurs.downtimeMs)} | ${s(r.floorIcp.wallMs)} / ${s(r.floorIcp.downtimeMs)} | ${r.target ?? '–'} | ${verdict} |`
    )
  }
  console.log(missed === 0 ? '\nAll CLI targets met.' : `\n${missed} CLI target(s) missed.`)
} finally {
  await net.close()
  await rm(home, { recursive: true, force: true })
}
