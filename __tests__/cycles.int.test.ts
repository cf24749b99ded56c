/**
 * The cycles pre-check against the emulator over HTTP: the size estimate from `canister_status`
 * memory metrics matches the snapshot the IC then takes, the cost model covers what the canister
 * is charged, and a canister the check flags is one the IC refuses to snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpAgent } from '@icp-sdk/core/agent'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import { Emulator } from '../emulator/src/index.js'
import { InsufficientCyclesError, UPDATE_BASE_FEE_CYCLES, assessSnapshotCycles, enforceCyclesCheck } from '../src/core/cycles-check.js'
import { OutOfCyclesError } from '../src/core/errors.js'
import { ManagementClient } from '../src/core/ic/management.js'

const me = Ed25519KeyIdentity.generate()
let net: Emulator
let client: ManagementClient

beforeAll(async () => {
  net = await Emulator.start({ seed: 'cycles-int' })
  const agent = await HttpAgent.create({ host: net.url, identity: me, rootKey: net.rootKey })
  client = ManagementClient.create({ agent, host: net.url, network: net.url, principal: me.getPrincipal().toText() })
})

afterAll(async () => {
  await net.close()
})

function warnings() {
  const lines: string[] = []
  return { lines, warning: (m: string) => lines.push(m), debug: () => undefined }
}

describe('cycles pre-check on the emulator', () => {
  it.each(['counter_v1', 'ballast'] as const)('estimates the size of a %s snapshot and covers its cost', async (name) => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: await loadCanisterModule(name) })
    const before = await client.canisterStatus(canisterId)
    if (before.memoryMetrics === undefined) throw new Error('the emulator sends memory_metrics in its current shape')
    const assessment = assessSnapshotCycles(canisterId.toText(), { ...before, memoryMetrics: before.memoryMetrics })
    expect(assessment.level).toBe('ok')

    const taken = await client.takeSnapshot({ canisterId })
    const after = await client.canisterStatus(canisterId)
    expect(assessment.estimatedSnapshotBytes).toBe(taken.totalSize)
    const charged = before.cycles - after.cycles
    expect(assessment.takeCostCycles).toBeGreaterThanOrEqual(charged)
    expect(assessment.takeCostCycles - charged).toBeLessThanOrEqual(UPDATE_BASE_FEE_CYCLES)
  })

  it('flags a canister that cannot pay for the snapshot, and the IC agrees', async () => {
    const canisterId = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: await loadCanisterModule('counter_v1') })
    net.faults.drainCycles(canisterId, 1_500_000_000n)
    const status = await client.canisterStatus(canisterId)

    const logger = warnings()
    expect(enforceCyclesCheck(canisterId.toText(), status, logger)?.level).toBe('warn')
    expect(logger.lines).toEqual([expect.stringMatching(new RegExp(`^Canister ${canisterId.toText()} may be frozen or the snapshot refused`))])
    expect(() => enforceCyclesCheck(canisterId.toText(), status, warnings(), { minCycles: 1_000_000_000_000n })).toThrow(InsufficientCyclesError)
    expect(() => enforceCyclesCheck(canisterId.toText(), status, warnings(), { minCycles: 1_000_000_000_000n })).toThrow(/'min-cycles'/)

    await expect(client.takeSnapshot({ canisterId })).rejects.toThrow(OutOfCyclesError)
    expect(net.canister(canisterId)?.snapshots).toEqual([])
  })
})
