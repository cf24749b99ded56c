/**
 * Runs one fault-matrix row against a shared emulator: fresh canisters in the state the operation
 * needs, the fault armed through the emulator's injection, the operation run through the core's
 * public command functions (real agent, real HTTP), then every invariant checked against the
 * emulator's own view of the canisters. Violations come back as sentences, so a failing row says
 * exactly what went wrong.
 */
import { createHash } from 'node:crypto'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import type { Principal } from '@icp-sdk/core/principal'
import { runOperation } from '../../src/core/operations/run.js'
import { runDownload, type DownloadRequest } from '../../src/core/commands/download.js'
import { runPrune } from '../../src/core/commands/prune.js'
import { runUpload } from '../../src/core/commands/upload.js'
import { getErrorMessage } from '../../src/core/errors.js'
import { MemoryStateStore } from '../../src/core/state.js'
import { counterIdl, loadCanisterModule, type CounterService } from '../../emulator/canisters/index.js'
import { startTestNetwork, recordingLogger, type TestNetwork } from '../helpers/emulator.js'
import { caseName, methodOf, type FaultCase } from './fault-cases.js'

/** How long the IC lets a stop stay pending before IC0206, on the suite's emulator. */
const EMULATOR_STOP_TIMEOUT_MS = 1_000
/** The step's `stop-timeout`: longer than the emulator's, so IC0206 is what ends a held stop. */
const STOP_TIMEOUT_SECONDS = 5
/** `timeout` for rows where a request never answers, and for every other row. */
const HANG_STEP_TIMEOUT_SECONDS = 3
const STEP_TIMEOUT_SECONDS = 30
/** Slack beyond the step's timeout before a row counts as hung (restarts, confirmation). */
const SETTLE_GRACE_MS = 6_000
const SKEW_MS = 10 * 60_000
/** Transfer retries for tests: the same attempts as in production, shorter waits. */
const TEST_RETRY = { attempts: 6, baseDelayMs: 5, maxDelayMs: 50 }
const UPLOAD_SOURCE_COUNTER = 7n
const PERSISTENT = 1_000

const TIMEOUT_ERRORS = new Set(['OperationTimeoutError', 'StopTimeoutError', 'OutcomeUnknownError'])

export interface FaultBench {
  t: TestNetwork
  v1Hash: string
  v2Hash: string
  /** A backup of a counter at `UPLOAD_SOURCE_COUNTER`, written by `operation: download`. */
  backupDir: string
  work: string
  close(): Promise<void>
}

/** `backup`: also write the backup that upload rows restore (default true). */
export async function startFaultBench({ backup = true }: { backup?: boolean } = {}): Promise<FaultBench> {
  const t = await startTestNetwork({ stopTimeoutMs: EMULATOR_STOP_TIMEOUT_MS })
  const work = await mkdtemp(join(tmpdir(), 'fault-matrix-'))
  const sha = async (name: 'counter_v1' | 'counter_v2'): Promise<string> => createHash('sha256').update(await loadCanisterModule(name)).digest('hex')
  const backupDir = join(work, 'backup')
  if (backup) {
    const source = await t.createCounter()
    await t.counter(source).set(UPLOAD_SOURCE_COUNTER)
    await t.client.takeSnapshot({ canisterId: source })
    await runDownload(t.context(), downloadRequest(source, backupDir, { kind: 'latest' }))
  }
  return {
    t,
    v1Hash: await sha('counter_v1'),
    v2Hash: await sha('counter_v2'),
    backupDir,
    work,
    close: async () => {
      await t.close()
      await rm(work, { recursive: true, force: true })
    }
  }
}

function downloadRequest(canister: Principal, path: string, snapshot: DownloadRequest['snapshot']): DownloadRequest {
  return {
    operation: 'download',
    canister,
    snapshot,
    path,
    archive: false,
    encryption: undefined,
    concurrency: 4,
    resume: false,
    stop: true,
    stopTimeoutSeconds: STOP_TIMEOUT_SECONDS,
    network: 'local',
    tool: { name: 'canister-snapshot-action', version: 'fault-matrix' },
    retry: TEST_RETRY
  }
}

interface Fixture {
  canisters: Principal[]
  /** The canister a targeted fault (held stop, cycles, IC0210) applies to. */
  target: Principal
  running: Map<string, boolean>
  snapshots: Map<string, string[]>
  /** Per canister: the snapshot the operation is meant to act on (rollback target, delete target). */
  intended: Map<string, string[]>
  dir: string
}

interface CanisterOutcome {
  ok: boolean
  errorName?: string
  message?: string
}

interface RunOutcome {
  settled: boolean
  elapsedMs: number
  perCanister: Map<string, CanisterOutcome>
}

const ids = (b: FaultBench, id: Principal): string[] => (b.t.net.canister(id)?.snapshots ?? []).map((s) => s.id)

async function setUp(b: FaultBench, c: FaultCase, index: number): Promise<Fixture> {
  const { t } = b
  const canisters: Principal[] = []
  const intended = new Map<string, string[]>()
  for (let i = 0; i < c.canisters; i++) {
    const version = c.operation === 'upload' ? 'counter_v2' : 'counter_v1'
    const id = await t.createCounter({ version })
    canisters.push(id)
    const key = id.toText()
    if (c.operation === 'upload') continue
    await t.counter(id).set(2n)
    switch (c.operation) {
      case 'snapshot':
      case 'download':
      case 'download-new':
        await t.client.takeSnapshot({ canisterId: id })
        break
      case 'rollback': {
        const s = await t.client.takeSnapshot({ canisterId: id })
        intended.set(key, [s.id])
        await t.counter(id).inc()
        await t.upgrade(id, 'counter_v2')
        break
      }
      case 'delete': {
        const taken = [await t.client.takeSnapshot({ canisterId: id }), await t.client.takeSnapshot({ canisterId: id }), await t.client.takeSnapshot({ canisterId: id })]
        intended.set(key, [(taken[1] as { id: string }).id])
        break
      }
      case 'prune': {
        const taken = []
        for (let n = 0; n < 4; n++) taken.push((await t.client.takeSnapshot({ canisterId: id })).id)
        intended.set(key, taken.slice(0, 2))
        break
      }
    }
  }
  const dir = join(b.work, `case-${index}`)
  if (c.operation === 'upload') await cp(b.backupDir, dir, { recursive: true })
  return {
    canisters,
    target: canisters[0] as Principal,
    running: new Map(canisters.map((id) => [id.toText(), t.net.canister(id)?.status === 'running'])),
    snapshots: new Map(canisters.map((id) => [id.toText(), ids(b, id)])),
    intended,
    dir
  }
}

function arm(b: FaultBench, c: FaultCase, f: Fixture): void {
  const faults = b.t.net.faults
  const where = methodOf(c.operation, c.phase)
  switch (c.fault) {
    case 'http-503':
      return faults.failNext({ ...where, mode: 503 })
    case 'http-429':
      return faults.failNext({ ...where, mode: 429 })
    case 'reset':
      return faults.failNext({ ...where, mode: 'reset' })
    case 'hang':
      return faults.failNext({ ...where, mode: 'hang' })
    case 'drop':
      return faults.dropResponse({ method: where.method })
    case 'outage':
      return faults.failNext({ ...where, mode: 503, count: PERSISTENT })
    case 'stop-never-completes':
      return faults.holdStopping(f.target)
    case 'out-of-cycles':
      return faults.drainCycles(f.target)
    case 'rate-limit':
      return b.t.net.replica.faults.rateLimitHeapDelta(f.target, 1)
    case 'rate-limit-persistent':
      return b.t.net.replica.faults.rateLimitHeapDelta(f.target, PERSISTENT)
    case 'clock-skew':
      return faults.skewClock(SKEW_MS)
  }
}

function disarm(b: FaultBench, f: Fixture): void {
  const { faults, replica } = b.t.net
  faults.clear()
  faults.skewClock(0)
  for (const id of f.canisters) {
    faults.holdStopping(id, false)
    replica.faults.rateLimitHeapDelta(id, 0)
  }
}

async function operate(b: FaultBench, c: FaultCase, f: Fixture, timeoutSeconds: number): Promise<Map<string, CanisterOutcome>> {
  const ctx = b.t.context({ timeoutSeconds, state: new MemoryStateStore(), logger: recordingLogger() })
  const all = (outcome: CanisterOutcome): Map<string, CanisterOutcome> => new Map(f.canisters.map((id) => [id.toText(), outcome]))
  const fromResults = (results: { canisterId: string; outcome: string; error?: string; errorName?: string }[]): Map<string, CanisterOutcome> =>
    new Map(results.map((r) => [r.canisterId, { ok: r.outcome === 'ok', errorName: r.errorName, message: r.error }]))
  const common = { canisters: f.canisters, stopTimeoutSeconds: STOP_TIMEOUT_SECONDS, dryRun: false }
  try {
    switch (c.operation) {
      case 'snapshot':
        return fromResults((await runOperation(ctx, { operation: 'snapshot', replace: [], stop: true, ...common })).results)
      case 'rollback': {
        const targets = f.canisters.flatMap((id) => f.intended.get(id.toText()) ?? [])
        return fromResults((await runOperation(ctx, { operation: 'rollback', snapshot: { kind: 'ids', ids: targets }, safetySnapshot: true, ...common })).results)
      }
      case 'delete': {
        const targets = f.canisters.flatMap((id) => f.intended.get(id.toText()) ?? [])
        return fromResults((await runOperation(ctx, { operation: 'delete', canisters: f.canisters, snapshot: { kind: 'ids', ids: targets }, dryRun: false })).results)
      }
      case 'download':
      case 'download-new':
        await runDownload(ctx, downloadRequest(f.target, f.dir, { kind: c.operation === 'download' ? 'latest' : 'new' }))
        return all({ ok: true })
      case 'upload':
        await runUpload(ctx, {
          operation: 'upload',
          canister: f.target,
          path: f.dir,
          decryption: undefined,
          replace: undefined,
          load: true,
          concurrency: 4,
          resume: false,
          stopTimeoutSeconds: STOP_TIMEOUT_SECONDS,
          retry: TEST_RETRY
        })
        return all({ ok: true })
      case 'prune': {
        const result = await runPrune({
          client: ctx.client,
          logger: ctx.logger,
          canisters: f.canisters.map((id) => ({ canisterId: id.toText(), principal: id })),
          policy: { keep: 2, protect: new Set() },
          dryRun: false,
          // As the prune command passes them: the step's deadline, and (as for transfers) test-length waits.
          deadline: ctx.deadline,
          retry: TEST_RETRY
        })
        return new Map(result.canisters.map((r) => [r.canisterId, { ok: r.error === undefined, errorName: r.error?.name, message: r.error?.message }]))
      }
    }
  } catch (error: unknown) {
    // A DOMException from another realm (AbortSignal.timeout) is not `instanceof Error` here; read its name.
    const name = typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : typeof error
    return all({ ok: false, errorName: name, message: getErrorMessage(error) })
  }
}

async function run(b: FaultBench, c: FaultCase, f: Fixture): Promise<RunOutcome> {
  const timeoutSeconds = c.fault === 'hang' ? HANG_STEP_TIMEOUT_SECONDS : STEP_TIMEOUT_SECONDS
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutSeconds * 1000 + SETTLE_GRACE_MS)
  })
  try {
    const perCanister = await Promise.race([operate(b, c, f, timeoutSeconds), bound])
    return { settled: perCanister !== undefined, elapsedMs: Date.now() - started, perCanister: perCanister ?? new Map() }
  } finally {
    clearTimeout(timer)
  }
}

/** Runs the row and returns every broken invariant as a sentence (empty = the row passes). */
export async function runFaultCase(b: FaultBench, c: FaultCase, index: number): Promise<string[]> {
  const f = await setUp(b, c, index)
  arm(b, c, f)
  const outcome = await run(b, c, f)
  const unfired = b.t.net.faults.pending()
  disarm(b, f)
  const violations: string[] = []
  const say = (text: string): void => {
    violations.push(`${caseName(c)}: ${text}`)
  }

  if (!outcome.settled) say(`the step did not end within its timeout plus ${SETTLE_GRACE_MS} ms (it hangs)`)
  if (['http-503', 'http-429', 'reset', 'hang', 'drop'].includes(c.fault) && unfired > 0) say('the injected fault never fired (the phase was not reached)')

  for (const id of f.canisters) {
    const key = id.toText()
    const view = b.t.net.canister(id)
    const got = outcome.perCanister.get(key)
    if (f.running.get(key) === true && view?.status !== 'running') say(`${key} was running and is now ${view?.status ?? 'gone'}`)
    if (outcome.settled) checkOutcome(c, key === f.target.toText(), key, got, say)
    if (got !== undefined && !got.ok && (got.message === undefined || got.message === '' || got.message.includes('\n'))) {
      say(`${key}: the error message is not one line: ${JSON.stringify(got.message)}`)
    }
    // A step that never ended reported nothing: only the outcome-independent invariants apply.
    await checkState(b, c, f, id, outcome.settled ? got?.ok === true : undefined, say)
  }
  return violations
}

function checkOutcome(c: FaultCase, isTarget: boolean, key: string, got: CanisterOutcome | undefined, say: (t: string) => void): void {
  if (got === undefined) return say(`${key}: no result reported`)
  const describe = got.ok ? 'succeeded' : `failed with ${got.errorName}: ${got.message}`
  const e = c.expect
  const wantOk = e.kind === 'ok' || (e.kind === 'target-fails' && !isTarget)
  if (wantOk && !got.ok) return say(`${key}: expected success, ${describe}`)
  if (e.kind === 'ok-or-timeout' && !got.ok && !TIMEOUT_ERRORS.has(got.errorName ?? '')) return say(`${key}: expected success or a timeout error, ${describe}`)
  if (e.kind === 'ok-or-error' && !got.ok && got.errorName !== e.error) return say(`${key}: expected success or ${e.error}, ${describe}`)
  const wantError = e.kind === 'all-fail' || (e.kind === 'target-fails' && isTarget) ? e.error : undefined
  if (wantError !== undefined && (got.ok || got.errorName !== wantError)) say(`${key}: expected ${wantError}, ${describe}`)
}

async function checkState(b: FaultBench, c: FaultCase, f: Fixture, id: Principal, ok: boolean | undefined, say: (t: string) => void): Promise<void> {
  const key = id.toText()
  const before = f.snapshots.get(key) ?? []
  const after = ids(b, id)
  const added = after.filter((s) => !before.includes(s))
  const removed = before.filter((s) => !after.includes(s))
  const intended = f.intended.get(key) ?? []
  const hash = b.t.moduleHashOf(id)
  const counter = async (): Promise<bigint | string> => (await freshCounter(b, id)).get().catch((error: unknown) => `unreadable (${getErrorMessage(error)})`)

  const mayRemove = c.operation === 'delete' || c.operation === 'prune' ? intended : []
  const wrongRemoved = removed.filter((s) => !mayRemove.includes(s))
  if (wrongRemoved.length > 0) say(`${key}: snapshot(s) deleted that were not to be deleted: ${wrongRemoved.join(', ')}`)
  const creates = ['snapshot', 'download-new', 'rollback', 'upload'].includes(c.operation)
  if (!creates && added.length > 0) say(`${key}: snapshot(s) created by an operation that creates none: ${added.join(', ')}`)
  if (added.length > 1) say(`${key}: ${added.length} snapshots created where one was asked: ${added.join(', ')}`)
  const takes = c.operation === 'snapshot' || c.operation === 'download-new'
  if (takes && ok && added.length !== 1) say(`${key}: reported success but ${added.length} new snapshots exist`)
  // A failed download of a new snapshot may keep the snapshot it took (it can be downloaded later).
  if (c.operation === 'snapshot' && ok === false && added.length !== 0) say(`${key}: reported failure but left new snapshot(s) ${added.join(', ')}`)

  switch (c.operation) {
    case 'snapshot':
    case 'download':
    case 'download-new':
    case 'delete':
    case 'prune': {
      if (hash !== b.v1Hash) say(`${key}: module hash changed to ${hash}`)
      const value = await counter()
      if (value !== 2n) say(`${key}: counter is ${String(value)}, expected 2 (unchanged)`)
      if (c.operation === 'delete' && ok && removed.join() !== intended.join()) say(`${key}: reported success but deleted [${removed.join(', ')}] instead of [${intended.join(', ')}]`)
      if (c.operation === 'delete' && ok === false && removed.length > 0) say(`${key}: reported failure but deleted ${removed.join(', ')}`)
      if (c.operation === 'prune' && ok && removed.join() !== intended.join()) say(`${key}: reported success but pruned [${removed.join(', ')}] instead of [${intended.join(', ')}]`)
      if ((c.operation === 'download' || c.operation === 'download-new') && ok) await checkDownloaded(b, f, say)
      break
    }
    case 'rollback':
    case 'upload': {
      const wanted = c.operation === 'rollback' ? 2n : UPLOAD_SOURCE_COUNTER
      if (ok === true) {
        if (hash !== b.v1Hash) say(`${key}: reported success but the module hash is ${hash}, not v1's`)
        const value = await counter()
        if (value !== wanted) say(`${key}: reported success but the counter is ${String(value)}, expected ${wanted}`)
        if (added.length !== 1) say(`${key}: reported success with ${added.length} new snapshots (expected exactly 1: the ${c.operation === 'rollback' ? 'safety' : 'uploaded'} snapshot)`)
      } else if (ok === false && hash !== b.v2Hash) {
        say(`${key}: reported failure but the module changed (hash ${hash}); the canister must be left as it was found`)
      }
      break
    }
  }
}

/**
 * The counter through a new agent: an agent corrects its clock offset once per lifetime, so one
 * that saw a skewed network would misjudge every later row.
 */
async function freshCounter(b: FaultBench, canisterId: Principal): Promise<CounterService> {
  const agent = await HttpAgent.create({ host: b.t.net.url, identity: b.t.identity.identity, rootKey: b.t.net.rootKey })
  return Actor.createActor<CounterService>(counterIdl, { agent, canisterId })
}

/** A successful download holds the canister's module, byte for byte (its SHA-256 is the module hash). */
async function checkDownloaded(b: FaultBench, f: Fixture, say: (t: string) => void): Promise<void> {
  const module = await readFile(join(f.dir, 'wasm_module.bin')).catch(() => undefined)
  if (module === undefined) return say('download reported success but wasm_module.bin is missing')
  const sha = createHash('sha256').update(module).digest('hex')
  if (sha !== b.v1Hash) say(`download reported success but wasm_module.bin hashes to ${sha}, not the module hash`)
}
