/**
 * Every command against the emulator over real HTTP with the real agent: outcomes are read back
 * from the emulator's state, never from recorded calls.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import { runOperation } from '../src/core/operations/run.js'
import type { CommandResult } from '../src/core/commands/types.js'
import { restartPending } from '../src/core/phases/lifecycle.js'
import { MemoryStateStore, PENDING_RESTART_KEY, readPendingRestarts } from '../src/core/state.js'
import { recordingLogger, startTestNetwork, type TestNetwork } from './helpers/emulator.js'

let t: TestNetwork

beforeAll(async () => {
  t = await startTestNetwork()
})
afterAll(async () => {
  await t.close()
})

const status = (id: Principal): string | undefined => t.net.canister(id)?.status
const snapshotIds = (id: Principal): string[] => (t.net.canister(id)?.snapshots ?? []).map((s) => s.id)

function snapshot(canisters: Principal[], extra: Partial<{ replace: string[]; stop: boolean; dryRun: boolean; stopTimeoutSeconds: number }> = {}) {
  return { operation: 'snapshot' as const, canisters, replace: [], stop: true, stopTimeoutSeconds: 30, dryRun: false, ...extra }
}

function only(result: CommandResult) {
  expect(result.results).toHaveLength(1)
  return result.results[0] as NonNullable<(typeof result.results)[0]>
}

describe('snapshot', () => {
  it('stops a running canister, takes one snapshot, and starts it again', async () => {
    const id = await t.createCounter()
    await t.counter(id).inc()
    const logger = recordingLogger()
    const r = only(await runOperation(t.context({ logger }), snapshot([id])))
    expect(r.outcome).toBe('ok')
    expect(snapshotIds(id)).toEqual([r.snapshotId])
    expect(status(id)).toBe('running')
    expect(r.moduleHash).toBe(t.moduleHashOf(id))
    expect(r.totalSize).toBeGreaterThan(0n)
    expect(Date.parse(r.takenAt ?? '')).toBeGreaterThan(Date.now() - 60_000)
    expect(r.downtimeMs).toBeGreaterThan(0)
    expect(logger.lines.indexOf(`Stopped ${id.toText()}.`)).toBeLessThan(logger.lines.findIndex((l) => l.startsWith('Took snapshot')))
  })

  it('leaves a stopped canister stopped', async () => {
    const id = await t.createCounter()
    await t.client.stop(id)
    const r = only(await runOperation(t.context(), snapshot([id])))
    expect(r.outcome).toBe('ok')
    expect(r.downtimeMs).toBe(0)
    expect(status(id)).toBe('stopped')
    expect(snapshotIds(id)).toHaveLength(1)
  })

  it('takes one consistent cut of several canisters: all stopped before any snapshot, all started after', async () => {
    const ids = await Promise.all([t.createCounter(), t.createCounter(), t.createCounter()])
    const logger = recordingLogger()
    const result = await runOperation(t.context({ logger }), snapshot(ids))
    expect(result.results.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok'])
    for (const id of ids) {
      expect(status(id)).toBe('running')
      expect(snapshotIds(id)).toHaveLength(1)
    }
    const lastStop = Math.max(...ids.map((id) => logger.lines.indexOf(`Stopped ${id.toText()}.`)))
    const firstTake = logger.lines.findIndex((l) => l.startsWith('Took snapshot'))
    const lastTake = logger.lines.map((l) => l.startsWith('Took snapshot')).lastIndexOf(true)
    const firstStart = Math.min(...ids.map((id) => logger.lines.indexOf(`Started ${id.toText()}.`)))
    expect(lastStop).toBeLessThan(firstTake)
    expect(lastTake).toBeLessThan(firstStart)
  })

  it('with stop: false never stops the canister and warns about in-flight calls', async () => {
    const id = await t.createCounter()
    const logger = recordingLogger()
    const r = only(await runOperation(t.context({ logger }), snapshot([id], { stop: false })))
    expect(r.outcome).toBe('ok')
    expect(r.downtimeMs).toBe(0)
    expect(logger.lines.some((l) => l.startsWith('Stopped'))).toBe(false)
    expect(logger.warnings.join(' ')).toMatch(/in flight/)
  })

  it('replaces the named snapshot with a new one', async () => {
    const id = await t.createCounter()
    const first = only(await runOperation(t.context(), snapshot([id]))).snapshotId as string
    const second = only(await runOperation(t.context(), snapshot([id], { replace: [first] })))
    expect(second.outcome).toBe('ok')
    expect(second.snapshotId).not.toBe(first)
    expect(snapshotIds(id)).toEqual([second.snapshotId])
  })

  it('refuses at the limit of 10 before stopping, and suggests replace', async () => {
    const id = await t.createCounter()
    for (let i = 0; i < 10; i++) await t.client.takeSnapshot({ canisterId: id })
    const logger = recordingLogger()
    const r = only(await runOperation(t.context({ logger }), snapshot([id])))
    expect(r.outcome).toBe('failed')
    expect(r.errorName).toBe('SnapshotLimitError')
    expect(r.error).toMatch(/'replace'/)
    expect(logger.lines.some((l) => l.startsWith('Stopped'))).toBe(false)
    expect(snapshotIds(id)).toHaveLength(10)
  })

  it('fails early for a canister the identity does not control, naming the principal and the fix, and changes nothing', async () => {
    const mine = await t.createCounter()
    const foreign = await t.net.createCanister({ controllers: [], wasmModule: new Uint8Array(await (await import('../emulator/canisters/index.js')).loadCanisterModule('counter_v1')) })
    const result = await runOperation(t.context(), snapshot([mine, foreign]))
    const [a, b] = result.results
    expect(a?.outcome).toBe('skipped')
    expect(b?.outcome).toBe('failed')
    expect(b?.errorName).toBe('NotAControllerError')
    expect(b?.error).toContain(t.identity.principal)
    expect(b?.error).toContain(`icp canister settings update ${foreign.toText()} --add-controller ${t.identity.principal}`)
    expect(status(mine)).toBe('running')
    expect(snapshotIds(mine)).toEqual([])
  })

  it('restarts the canister when the snapshot fails between stop and start', async () => {
    const id = await t.createCounter()
    t.net.faults.drainCycles(id, 0n)
    const r = only(await runOperation(t.context(), snapshot([id])))
    expect(r.outcome).toBe('failed')
    expect(r.errorName).toBe('OutOfCyclesError')
    expect(status(id)).toBe('running')
    expect(snapshotIds(id)).toEqual([])
  })

  it('restarts every canister when the network keeps failing the take, and records none as pending', async () => {
    const ids = await Promise.all([t.createCounter(), t.createCounter()])
    const state = new MemoryStateStore()
    t.net.faults.failNext({ endpoint: 'call', method: 'take_canister_snapshot', mode: 503, count: 100 })
    try {
      const result = await runOperation(t.context({ state }), snapshot(ids))
      expect(result.results.map((r) => r.outcome)).toEqual(['failed', 'failed'])
    } finally {
      t.net.faults.clear()
    }
    for (const id of ids) {
      expect(status(id)).toBe('running')
      expect(snapshotIds(id)).toEqual([])
    }
    expect(readPendingRestarts(state)).toEqual([])
  })

  it('adopts the snapshot whose response was lost instead of taking a second one', async () => {
    const id = await t.createCounter()
    t.net.faults.dropResponse({ method: 'take_canister_snapshot' })
    const logger = recordingLogger()
    const r = only(await runOperation(t.context({ logger }), snapshot([id])))
    expect(r.outcome).toBe('ok')
    expect(snapshotIds(id)).toEqual([r.snapshotId])
    expect(status(id)).toBe('running')
  })

  it('starts the canister again when stopping takes longer than stop-timeout', async () => {
    const id = await t.createCounter()
    t.net.faults.holdStopping(id, true)
    try {
      const r = only(await runOperation(t.context(), snapshot([id], { stopTimeoutSeconds: 1 })))
      expect(r.outcome).toBe('failed')
      expect(r.errorName).toBe('StopTimeoutError')
      expect(r.error).toMatch(/stop-timeout/)
    } finally {
      t.net.faults.holdStopping(id, false)
    }
    expect(status(id)).toBe('running')
    expect(snapshotIds(id)).toEqual([])
  })

  it('with consistent: false gives each canister its own stop, snapshot and start', async () => {
    const [a, b] = await Promise.all([t.createCounter(), t.createCounter()])
    const logger = recordingLogger()
    const result = await runOperation(t.context({ logger, concurrency: 1 }), { ...snapshot([a as Principal, b as Principal]), consistent: false })
    expect(result.results.map((r) => r.outcome)).toEqual(['ok', 'ok'])
    expect(logger.lines.indexOf(`Started ${a?.toText()}.`)).toBeLessThan(logger.lines.indexOf(`Stopped ${b?.toText()}.`))
    for (const id of [a, b] as Principal[]) expect(status(id)).toBe('running')
  })

  it('with min-cycles refuses before stopping a canister the snapshot would leave short', async () => {
    const id = await t.createCounter()
    t.net.faults.drainCycles(id, 10_000_000_000n)
    const logger = recordingLogger()
    const r = only(await runOperation(t.context({ logger }), { ...snapshot([id]), minCycles: 1_000_000_000_000n }))
    expect(r.outcome).toBe('failed')
    expect(r.errorName).toBe('InsufficientCyclesError')
    expect(r.error).toMatch(/'min-cycles'/)
    expect(logger.lines.some((l) => l.startsWith('Stopped'))).toBe(false)
    expect(status(id)).toBe('running')
    expect(snapshotIds(id)).toEqual([])
  })

  it('dry-run checks everything and changes nothing', async () => {
    const id = await t.createCounter()
    const before = t.net.canister(id)
    const logger = recordingLogger()
    const r = only(await runOperation(t.context({ logger }), snapshot([id], { dryRun: true })))
    expect(r.outcome).toBe('dry-run')
    expect(r.note).toMatch(/would stop, then take a snapshot, then start/)
    expect(t.net.canister(id)).toEqual(before)
  })
})

describe('rollback', () => {
  it('brings back the state and module of the snapshot after a broken deploy, with a safety snapshot', async () => {
    const id = await t.createCounter()
    for (let i = 0; i < 3; i++) await t.counter(id).inc()
    const v1Hash = t.moduleHashOf(id)
    const taken = only(await runOperation(t.context(), snapshot([id])))
    await t.upgrade(id, 'counter_v2')
    await t.counter(id).inc()
    expect(t.moduleHashOf(id)).not.toBe(v1Hash)
    await expect(t.counter(id).get()).rejects.toThrow()

    const r = only(await runOperation(t.context(), { operation: 'rollback', canisters: [id], snapshot: { kind: 'ids', ids: [taken.snapshotId as string] }, safetySnapshot: true, stopTimeoutSeconds: 30, dryRun: false }))
    expect(r.outcome).toBe('ok')
    expect(r.moduleHash).toBe(v1Hash)
    expect(t.moduleHashOf(id)).toBe(v1Hash)
    expect(await t.counter(id).get()).toBe(3n)
    expect(status(id)).toBe('running')
    expect(snapshotIds(id)).toEqual([taken.snapshotId, r.safetySnapshotId])
  })

  it('rolls back to the latest snapshot and starts a canister that was stopped', async () => {
    const id = await t.createCounter()
    await t.counter(id).inc()
    only(await runOperation(t.context(), snapshot([id])))
    await t.counter(id).inc()
    await t.client.stop(id)
    const r = only(await runOperation(t.context(), { operation: 'rollback', canisters: [id], snapshot: { kind: 'latest' }, safetySnapshot: false, stopTimeoutSeconds: 30, dryRun: false }))
    expect(r.outcome).toBe('ok')
    expect(status(id)).toBe('running')
    expect(await t.counter(id).get()).toBe(1n)
    expect(snapshotIds(id)).toHaveLength(1)
  })

  it('fails before stopping when there is no snapshot (latest) or the ID belongs to another canister', async () => {
    const id = await t.createCounter()
    const other = await t.createCounter()
    const otherSnap = only(await runOperation(t.context(), snapshot([other]))).snapshotId as string
    const latest = only(await runOperation(t.context(), { operation: 'rollback', canisters: [id], snapshot: { kind: 'latest' }, safetySnapshot: true, stopTimeoutSeconds: 30, dryRun: false }))
    expect(latest.errorName).toBe('SnapshotNotFoundError')
    await expect(
      runOperation(t.context(), { operation: 'rollback', canisters: [id], snapshot: { kind: 'ids', ids: [otherSnap] }, safetySnapshot: true, stopTimeoutSeconds: 30, dryRun: false })
    ).rejects.toThrow(/Input 'snapshot-id'.*belongs to canister/)
    expect(status(id)).toBe('running')
  })

  it('dry-run names the snapshot it would load and changes nothing', async () => {
    const id = await t.createCounter()
    const taken = only(await runOperation(t.context(), snapshot([id])))
    const before = t.net.canister(id)
    const r = only(await runOperation(t.context(), { operation: 'rollback', canisters: [id], snapshot: { kind: 'latest' }, safetySnapshot: true, stopTimeoutSeconds: 30, dryRun: true }))
    expect(r.outcome).toBe('dry-run')
    expect(r.snapshotId).toBe(taken.snapshotId)
    expect(t.net.canister(id)).toEqual(before)
  })
})

describe('list and delete', () => {
  it('lists the snapshots of several canisters, oldest first', async () => {
    const [a, b] = await Promise.all([t.createCounter(), t.createCounter()])
    const first = only(await runOperation(t.context(), snapshot([a as Principal]))).snapshotId
    const second = only(await runOperation(t.context(), snapshot([a as Principal]))).snapshotId
    const result = await runOperation(t.context(), { operation: 'list', canisters: [a as Principal, b as Principal] })
    expect(result.results[0]?.snapshots?.map((s) => s.id)).toEqual([first, second])
    expect(result.results[0]?.snapshotId).toBe(second)
    expect(result.results[1]?.snapshots).toEqual([])
  })

  it('deletes by ID and by latest; dry-run deletes nothing', async () => {
    const id = await t.createCounter()
    const first = only(await runOperation(t.context(), snapshot([id]))).snapshotId as string
    const second = only(await runOperation(t.context(), snapshot([id]))).snapshotId as string
    const dry = only(await runOperation(t.context(), { operation: 'delete', canisters: [id], snapshot: { kind: 'latest' }, dryRun: true }))
    expect(dry).toMatchObject({ outcome: 'dry-run', snapshotId: second })
    expect(snapshotIds(id)).toEqual([first, second])
    expect(only(await runOperation(t.context(), { operation: 'delete', canisters: [id], snapshot: { kind: 'latest' }, dryRun: false })).outcome).toBe('ok')
    expect(snapshotIds(id)).toEqual([first])
    expect(only(await runOperation(t.context(), { operation: 'delete', canisters: [id], snapshot: { kind: 'ids', ids: [first] }, dryRun: false })).outcome).toBe('ok')
    expect(snapshotIds(id)).toEqual([])
    const missing = only(await runOperation(t.context(), { operation: 'delete', canisters: [id], snapshot: { kind: 'ids', ids: [first] }, dryRun: false }))
    expect(missing.errorName).toBe('SnapshotNotFoundError')
  })

  it('treats a delete whose response was lost as done', async () => {
    const id = await t.createCounter()
    const taken = only(await runOperation(t.context(), snapshot([id]))).snapshotId as string
    t.net.faults.dropResponse({ method: 'delete_canister_snapshot' })
    const r = only(await runOperation(t.context(), { operation: 'delete', canisters: [id], snapshot: { kind: 'ids', ids: [taken] }, dryRun: false }))
    expect(r.outcome).toBe('ok')
    expect(snapshotIds(id)).toEqual([])
  })
})

describe('post-step repair', () => {
  it('starts the canisters a run stopped and did not start', async () => {
    const ids = await Promise.all([t.createCounter(), t.createCounter()])
    const state = new MemoryStateStore()
    for (const id of ids) await t.client.stop(id)
    state.set(PENDING_RESTART_KEY, JSON.stringify(ids.map((id) => id.toText())))
    const { restarted, failed } = await restartPending(t.client, recordingLogger(), state)
    expect(restarted.sort()).toEqual(ids.map((id) => id.toText()).sort())
    expect(failed).toEqual([])
    for (const id of ids) expect(status(id)).toBe('running')
    expect(readPendingRestarts(state)).toEqual([])
  })
})
