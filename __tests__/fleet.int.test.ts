/**
 * A fleet run with one bad canister, through the bundled action as a workflow step: the others are
 * snapshotted, every canister runs afterwards, and the step fails naming the one that failed.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import { runStep } from '../scripts/lib/runner.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'

const FLEET = 20

let t: TestNetwork

beforeAll(async () => {
  t = await startTestNetwork()
})
afterAll(async () => {
  await t.close()
})

it('20 canisters with one failing: 19 snapshots, 20 running, the step fails naming the failing one', async () => {
  const fleet: Principal[] = await Promise.all(Array.from({ length: FLEET }, () => t.createCounter()))
  const failing = fleet[7] as Principal
  // Rate limited only at the take: status and stop still succeed, so the failure lands mid-cut.
  t.net.replica.faults.rateLimitHeapDelta(failing, 1_000)

  const run = await runStep({
    inputs: { canister: fleet.map((c) => c.toText()).join('\n'), network: t.net.url, 'root-key': t.net.rootKeyHex, identity: t.pem, concurrency: '20' }
  })

  expect(run.exitCode).toBe(1)
  const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error'))
  expect(errors).toHaveLength(1)
  expect(errors[0]).toContain(failing.toText())
  for (const other of fleet.filter((c) => c !== failing)) expect(errors[0]).not.toContain(other.toText())

  for (const id of fleet) expect(t.net.canister(id)?.status).toBe('running')
  const snapshotted = fleet.filter((id) => (t.net.canister(id)?.snapshots.length ?? 0) === 1)
  expect(snapshotted).toHaveLength(FLEET - 1)
  expect(t.net.canister(failing)?.snapshots).toEqual([])

  const ids = JSON.parse(run.outputs['snapshot-ids'] ?? '{}') as Record<string, string>
  expect(Object.keys(ids).sort()).toEqual(snapshotted.map((c) => c.toText()).sort())
  expect(run.summary).toContain(failing.toText())
})
