/**
 * `operation: prune` against the emulator over HTTP: the dry run lists exactly what would be
 * deleted and changes nothing; the real run deletes exactly that; one failing canister does not
 * stop the others and is named in the step's error.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpAgent } from '@icp-sdk/core/agent'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import type { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import { Emulator } from '../emulator/src/index.js'
import { pruneFailure, runPrune, runPruneCommand, toCanisterResults, type PruneTarget } from '../src/core/commands/prune.js'
import { Deadline } from '../src/core/deadline.js'
import { ManagementClient } from '../src/core/ic/management.js'
import type { Logger } from '../src/core/logger.js'
import type { RetentionPolicy } from '../src/core/retention/policy.js'

const me = Ed25519KeyIdentity.generate()
const someoneElse = Ed25519KeyIdentity.generate()
let net: Emulator
let client: ManagementClient
let counter: Uint8Array

beforeAll(async () => {
  net = await Emulator.start({ seed: 'prune-int' })
  const agent = await HttpAgent.create({ host: net.url, identity: me, rootKey: net.rootKey })
  client = ManagementClient.create({ agent, host: net.url, network: net.url, principal: me.getPrincipal().toText() })
  counter = await loadCanisterModule('counter_v1')
})

afterAll(async () => {
  await net.close()
})

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    debug: () => undefined,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    group: (_name, fn) => fn()
  }
}

/** A canister with `count` snapshots, oldest first. */
async function canisterWithSnapshots(count: number, controller = me): Promise<{ target: PruneTarget; ids: string[] }> {
  const principal = await net.createCanister({ controllers: [controller.getPrincipal()], wasmModule: counter })
  const ids: string[] = []
  if (controller === me) {
    for (let i = 0; i < count; i++) ids.push((await client.takeSnapshot({ canisterId: principal })).id)
  }
  return { target: { canisterId: principal.toText(), principal }, ids }
}

/** The emulator's own record, independent of the client under test. */
const emulatorSnapshots = (principal: Principal) => net.canister(principal)?.snapshots.map((s) => s.id)

const keep = (n: number, protect: string[] = []): RetentionPolicy => ({ keep: n, protect: new Set(protect) })

describe('runPrune', () => {
  it('dry run lists exactly what would be deleted and changes nothing; the real run deletes exactly that', async () => {
    const a = await canisterWithSnapshots(6)
    const b = await canisterWithSnapshots(3)
    const before = [emulatorSnapshots(a.target.principal), emulatorSnapshots(b.target.principal)]
    const policy = keep(2, [a.ids[0] as string])

    const logger = recordingLogger()
    const dry = await runPrune({ client, logger, canisters: [a.target, b.target], policy, dryRun: true })
    expect(dry.failed).toEqual([])
    expect(dry.canisters.map((c) => c.deleted.map((d) => d.snapshot.id))).toEqual([a.ids.slice(1, 4), [b.ids[0]]])
    expect(dry.canisters[0]?.kept.map((s) => s.id)).toEqual([a.ids[0], ...a.ids.slice(4)])
    expect(logger.lines.filter((l) => l.includes('would delete'))).toEqual([
      ...a.ids.slice(1, 4).map((id) => `${a.target.canisterId}: would delete snapshot ${id} (beyond keep 2)`),
      `${b.target.canisterId}: would delete snapshot ${b.ids[0]} (beyond keep 2)`
    ])
    expect([emulatorSnapshots(a.target.principal), emulatorSnapshots(b.target.principal)]).toEqual(before)
    expect(toCanisterResults(dry).map((r) => [r.canisterId, r.outcome, r.note])).toEqual([
      [a.target.canisterId, 'dry-run', `would delete ${a.ids.slice(1, 4).join(', ')}; 3 kept`],
      [b.target.canisterId, 'dry-run', `would delete ${b.ids[0]}; 2 kept`]
    ])

    const real = await runPrune({ client, logger: recordingLogger(), canisters: [a.target, b.target], policy, dryRun: false })
    expect(real.canisters.map((c) => c.deleted.map((d) => d.snapshot.id))).toEqual(
      dry.canisters.map((c) => c.deleted.map((d) => d.snapshot.id))
    )
    expect(emulatorSnapshots(a.target.principal)).toEqual([a.ids[0], ...a.ids.slice(4)])
    expect(emulatorSnapshots(b.target.principal)).toEqual(b.ids.slice(1))
  })

  it('prunes by max-age against the given clock', async () => {
    const a = await canisterWithSnapshots(3)
    const listed = await client.listSnapshots(a.target.principal)
    const newest = listed[listed.length - 1]?.takenAtNs ?? 0n
    const policy: RetentionPolicy = { maxAgeMs: 60_000, protect: new Set() }
    // An hour after the last snapshot, all three are past max-age: prune takes them all.
    const result = await runPrune({ client, logger: recordingLogger(), canisters: [a.target], policy, dryRun: false, nowNs: newest + 3_600_000_000_000n })
    expect(result.canisters[0]?.deleted.map((d) => [d.snapshot.id, d.reason])).toEqual(a.ids.map((id) => [id, 'older-than-max-age']))
    expect(emulatorSnapshots(a.target.principal)).toEqual([])
  })

  it('runs as a command with the other commands\' result shape', async () => {
    const a = await canisterWithSnapshots(2)
    const result = await runPruneCommand(
      { client, logger: recordingLogger(), concurrency: 4, deadline: new Deadline(300) },
      { operation: 'prune', canisters: [a.target.principal], policy: keep(1), dryRun: false }
    )
    expect(result).toMatchObject({ operation: 'prune', principal: me.getPrincipal().toText(), dryRun: false })
    expect(result.results).toEqual([
      expect.objectContaining({ canisterId: a.target.canisterId, operation: 'prune', outcome: 'ok', note: `deleted ${a.ids[0]}; 1 kept` })
    ])
    expect(result.results[0]?.snapshots?.map((s) => s.id)).toEqual([a.ids[1]])
  })

  it('as a command, deletes nothing anywhere when one canister of the fleet is not its to prune', async () => {
    const ok = await canisterWithSnapshots(3)
    const foreign = await canisterWithSnapshots(0, someoneElse)
    const result = await runPruneCommand(
      { client, logger: recordingLogger(), concurrency: 4, deadline: new Deadline(300) },
      { operation: 'prune', canisters: [ok.target.principal, foreign.target.principal], policy: keep(1), dryRun: false }
    )
    expect(result.results.map((r) => [r.canisterId, r.outcome, r.errorName])).toEqual([
      [ok.target.canisterId, 'skipped', undefined],
      [foreign.target.canisterId, 'failed', 'NotAControllerError']
    ])
    expect(emulatorSnapshots(ok.target.principal)).toEqual(ok.ids)
  })

  it('rides out a lost delete response and a 503 on list by retrying', async () => {
    const a = await canisterWithSnapshots(3)
    net.faults.failNext({ endpoint: 'call', method: 'list_canister_snapshots', mode: 503 })
    net.faults.dropResponse({ method: 'delete_canister_snapshot' })
    const retry = { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 }
    const result = await runPrune({ client, logger: recordingLogger(), canisters: [a.target], policy: keep(1), dryRun: false, retry })
    expect(result.failed).toEqual([])
    expect(result.canisters[0]?.deleted.map((d) => d.snapshot.id)).toEqual(a.ids.slice(0, 2))
    expect(emulatorSnapshots(a.target.principal)).toEqual(a.ids.slice(2))
  })

  it('goes on when one canister fails, and names it in the step error', async () => {
    const ok = await canisterWithSnapshots(4)
    const foreign = await canisterWithSnapshots(0, someoneElse)
    const result = await runPrune({ client, logger: recordingLogger(), canisters: [foreign.target, ok.target], policy: keep(1), dryRun: false })
    // The engine's first call on a canister is the list, which snapshot_visibility guards.
    expect(result.failed.map((c) => [c.canisterId, c.error?.name])).toEqual([[foreign.target.canisterId, 'NotASnapshotViewerError']])
    expect(emulatorSnapshots(ok.target.principal)).toEqual(ok.ids.slice(-1))
    expect(toCanisterResults(result).map((r) => r.outcome)).toEqual(['failed', 'ok'])
    expect(pruneFailure(result)?.message).toMatch(new RegExp(`^Prune failed for 1 of 2 canisters: ${foreign.target.canisterId}: `))
  })
})
