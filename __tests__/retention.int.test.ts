/**
 * Rotation end to end: scheduled snapshots through the real snapshot command (stop → take → start)
 * with the retention policy wired in exactly as the action does it (`chooseReplace` before the
 * take, `pruneAfterSnapshot` once the canister runs again), over HTTP against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpAgent } from '@icp-sdk/core/agent'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import type { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import { Emulator } from '../emulator/src/index.js'
import { pruneAfterSnapshot, pruneFailure } from '../src/core/commands/prune.js'
import { runSnapshot } from '../src/core/commands/snapshot.js'
import type { CommandContext } from '../src/core/commands/types.js'
import { Deadline } from '../src/core/deadline.js'
import { SnapshotLimitError } from '../src/core/errors.js'
import { ManagementClient } from '../src/core/ic/management.js'
import { silentLogger } from '../src/core/logger.js'
import { parseRetentionPolicy } from '../src/core/retention/parse.js'
import { planReplacement, type RetentionPolicy } from '../src/core/retention/policy.js'
import { MemoryStateStore } from '../src/core/state.js'

const me = Ed25519KeyIdentity.generate()
let net: Emulator
let client: ManagementClient
let counter: Uint8Array

beforeAll(async () => {
  net = await Emulator.start({ seed: 'retention-int' })
  const agent = await HttpAgent.create({ host: net.url, identity: me, rootKey: net.rootKey })
  client = ManagementClient.create({ agent, host: net.url, network: net.url, principal: me.getPrincipal().toText() })
  counter = await loadCanisterModule('counter_v1')
})

afterAll(async () => {
  await net.close()
})

function context(): CommandContext {
  return { client, logger: silentLogger, state: new MemoryStateStore(), deadline: new Deadline(120), concurrency: 8 }
}

/** One scheduled run: snapshot with rotation, then prune; returns the new snapshot's ID. */
async function scheduledRun(canisterId: Principal, policy: RetentionPolicy | undefined): Promise<string> {
  const result = await runSnapshot(context(), {
    operation: 'snapshot',
    canisters: [canisterId],
    replace: [],
    stop: true,
    stopTimeoutSeconds: 30,
    dryRun: false,
    ...(policy === undefined ? {} : { chooseReplace: (id, existing) => planReplacement(id, existing, policy).replace?.id })
  })
  const [only] = result.results
  if (only?.outcome !== 'ok' || only.snapshotId === undefined) {
    throw new Error(`snapshot run failed: ${only?.errorName ?? ''} ${only?.error ?? JSON.stringify(only)}`)
  }
  if (policy !== undefined) {
    const pruned = await pruneAfterSnapshot({ client, logger: silentLogger, policy, results: result.results })
    const failure = pruneFailure(pruned)
    if (failure !== undefined) throw failure
  }
  return only.snapshotId
}

async function newCanister(): Promise<Principal> {
  return net.createCanister({ controllers: [me.getPrincipal()], wasmModule: counter })
}

const snapshotIds = async (canisterId: Principal) => (await client.listSnapshots(canisterId)).map((s) => s.id)

function policy(inputs: { keep?: string; maxAge?: string; protect?: string }): RetentionPolicy {
  const parsed = parseRetentionPolicy({ keep: inputs.keep ?? '', maxAge: inputs.maxAge ?? '', protect: inputs.protect ?? '' })
  if (parsed === undefined) throw new Error('test policy is empty')
  return parsed
}

describe('scheduled snapshots with retention', () => {
  it('15 runs with keep 3 leave exactly the 3 newest, and the canister running', async () => {
    const canisterId = await newCanister()
    const taken: string[] = []
    for (let run = 0; run < 15; run++) {
      taken.push(await scheduledRun(canisterId, policy({ keep: '3' })))
      expect((await snapshotIds(canisterId)).length).toBeLessThanOrEqual(3)
    }
    expect(await snapshotIds(canisterId)).toEqual(taken.slice(-3))
    expect(net.canister(canisterId)?.status).toBe('running')
  })

  it('keep 10 rotates at the limit by replacing the oldest snapshot', async () => {
    const canisterId = await newCanister()
    const taken: string[] = []
    for (let run = 0; run < 12; run++) taken.push(await scheduledRun(canisterId, policy({ keep: '10' })))
    expect(await snapshotIds(canisterId)).toEqual(taken.slice(-10))
  })

  it('never deletes or replaces a protected snapshot; it does not count towards keep', async () => {
    const canisterId = await newCanister()
    const taken: string[] = [await scheduledRun(canisterId, undefined), await scheduledRun(canisterId, undefined)]
    const keep3 = policy({ keep: '3', protect: taken[1] })
    for (let run = 2; run < 15; run++) taken.push(await scheduledRun(canisterId, keep3))
    expect(await snapshotIds(canisterId)).toEqual([taken[1], ...taken.slice(-3)])

    // At the limit, the oldest *unprotected* snapshot is the one replaced.
    const keep10 = policy({ keep: '10', protect: `${taken[1]},${taken[12]}` })
    for (let run = 15; run < 23; run++) taken.push(await scheduledRun(canisterId, keep10))
    const left = await snapshotIds(canisterId)
    expect(left).toHaveLength(10)
    expect(left).toEqual([taken[1], taken[12], ...taken.slice(-8)])
  })

  it('max-age rotates at the limit, then drops snapshots older than max-age measured on the IC clock', async () => {
    const canisterId = await newCanister()
    const twoMinutes = policy({ maxAge: '2m' })
    const taken: string[] = []
    for (let run = 0; run < 12; run++) taken.push(await scheduledRun(canisterId, twoMinutes))
    // Nothing is old yet: the limit alone rotated the two oldest out.
    expect(await snapshotIds(canisterId)).toEqual(taken.slice(2))

    // Three minutes later (inside the ingress expiry window), everything before is past max-age.
    net.faults.skewClock(3 * 60_000)
    try {
      for (let run = 12; run < 15; run++) taken.push(await scheduledRun(canisterId, twoMinutes))
    } finally {
      net.faults.skewClock(0)
    }
    expect(await snapshotIds(canisterId)).toEqual(taken.slice(12))
  })

  it('ends the retention phase with the step: a used-up budget deletes nothing and fails with a timeout', async () => {
    const canisterId = await newCanister()
    for (let run = 0; run < 3; run++) await scheduledRun(canisterId, undefined)
    const before = await snapshotIds(canisterId)
    const result = await runSnapshot(context(), { operation: 'snapshot', canisters: [canisterId], replace: [], stop: true, stopTimeoutSeconds: 30, dryRun: false })
    const spent = new Deadline(0)
    const pruned = await pruneAfterSnapshot({ client, logger: silentLogger, policy: policy({ keep: '1' }), results: result.results, deadline: spent })
    expect(pruned.failed.map((c) => c.error?.name)).toEqual(['OperationTimeoutError'])
    expect(pruneFailure(pruned)?.message).toMatch(/Applying retention/)
    expect(await snapshotIds(canisterId)).toEqual([...before, result.results[0]?.snapshotId])
    expect(net.canister(canisterId)?.status).toBe('running')
  })

  it('without a policy, a canister at the limit fails naming keep and replace', async () => {
    const canisterId = await newCanister()
    for (let run = 0; run < 10; run++) await scheduledRun(canisterId, undefined)
    const result = await runSnapshot(context(), {
      operation: 'snapshot',
      canisters: [canisterId],
      replace: [],
      stop: true,
      stopTimeoutSeconds: 30,
      dryRun: false
    })
    expect(result.results[0]).toMatchObject({ outcome: 'failed', errorName: new SnapshotLimitError({ canisterId: '' }).name })
    expect(result.results[0]?.error).toMatch(/'replace'.*'keep'/)
    expect(await snapshotIds(canisterId)).toHaveLength(10)
    expect(net.canister(canisterId)?.status).toBe('running')
  })
})
