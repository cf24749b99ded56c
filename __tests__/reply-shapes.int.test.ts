/**
 * Replies from older and newer replicas: the emulator answers `canister_status` and the snapshot
 * methods with the records of a replica from before `memory_metrics` & co. (`legacy`), of today's
 * ic.did (`current`) or with fields and variant cases no replica sends yet (`future`). The action
 * decodes all three with its own minimal Candid; `IcManagementCanister`'s IDL does not decode the
 * older one, which is why the action no longer uses it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpAgent } from '@icp-sdk/core/agent'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import type { Principal } from '@icp-sdk/core/principal'
import { runStep } from '../scripts/lib/runner.js'
import { REPLY_SHAPES, type ReplyShape } from '../emulator/src/index.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'

const networks = new Map<ReplyShape, TestNetwork>()
let dir: string

beforeAll(async () => {
  for (const shape of REPLY_SHAPES) networks.set(shape, await startTestNetwork({ statusShape: shape }))
  dir = await mkdtemp(path.join(tmpdir(), 'reply-shapes-'))
})
afterAll(async () => {
  await Promise.all([...networks.values()].map((t) => t.close()))
  await rm(dir, { recursive: true, force: true })
})

const on = (shape: ReplyShape): TestNetwork => networks.get(shape) as TestNetwork

async function packageClient(t: TestNetwork): Promise<{ canisterStatus(p: { canisterId: Principal; certified: boolean }): Promise<unknown> }> {
  const agent = await HttpAgent.create({ host: t.net.url, identity: t.identity.identity, rootKey: t.net.rootKey })
  return IcManagementCanister.create({ agent }) as never
}

describe("IcManagementCanister's own IDL (why the action decodes with its own)", () => {
  it('cannot decode the canister_status of a replica older than memory_metrics', async () => {
    const t = on('legacy')
    const id = await t.createCounter()
    const ic = await packageClient(t)
    await expect(ic.canisterStatus({ canisterId: id, certified: false })).rejects.toThrow(/memory_metrics|field/i)
    await expect(ic.canisterStatus({ canisterId: id, certified: true })).rejects.toThrow(/memory_metrics|field/i)
  })

  it("decodes today's record (the failure above is the shape, not the setup)", async () => {
    const t = on('current')
    const id = await t.createCounter()
    const ic = await packageClient(t)
    await expect(ic.canisterStatus({ canisterId: id, certified: false })).resolves.toMatchObject({ cycles: expect.any(BigInt) })
  })
})

describe.each(REPLY_SHAPES)('the action against %s replies', (shape) => {
  it('reads canister_status as a query and certified', async () => {
    const t = on(shape)
    const id = await t.createCounter()
    for (const certified of [false, true]) {
      const status = await t.client.canisterStatus(id, { certified })
      expect(status.status).toBe('running')
      expect(status.controllers).toEqual([t.identity.identity.getPrincipal().toText()])
      expect(status.moduleHash).toBe(t.moduleHashOf(id))
      expect(status.cycles).toBe(t.net.canister(id)?.cycles)
      if (shape === 'legacy') expect(status.memoryMetrics).toBeUndefined()
      else expect(status.memoryMetrics?.wasmBinarySize).toBeGreaterThan(0n)
    }
  })

  it('snapshot (cycles pre-check included), list, download, rollback and delete as workflow steps', async () => {
    const t = on(shape)
    const id = await t.createCounter()
    await t.counter(id).inc()
    const inputs = (extra: Record<string, string>) => ({ canister: id.toText(), network: t.net.url, 'root-key': t.net.rootKeyHex, identity: t.pem, ...extra })

    const snap = await runStep({ inputs: inputs({ operation: 'snapshot', 'min-cycles': '1b' }) })
    expect(snap.exitCode).toBe(0)
    const snapshotId = snap.outputs['snapshot-id'] ?? ''
    expect((t.net.canister(id)?.snapshots ?? []).map((s) => s.id)).toEqual([snapshotId])
    const skipped = snap.stdout.includes('the cycles pre-check was skipped because canister_status carries no memory_metrics')
    expect(skipped).toBe(shape === 'legacy')

    const list = await runStep({ inputs: inputs({ operation: 'list' }) })
    expect(list.exitCode).toBe(0)
    expect(list.outputs['snapshot-id']).toBe(snapshotId)

    const target = path.join(dir, shape)
    const down = await runStep({ inputs: inputs({ operation: 'download', 'snapshot-id': snapshotId, path: target }) })
    expect(down.exitCode).toBe(0)
    const metadata = JSON.parse(await readFile(path.join(target, 'metadata.json'), 'utf8')) as { wasm_module_size: number }
    expect(metadata.wasm_module_size).toBeGreaterThan(0)
    expect((await readFile(path.join(target, 'wasm_module.bin'))).length).toBe(metadata.wasm_module_size)

    await t.counter(id).inc()
    const rollback = await runStep({ inputs: inputs({ operation: 'rollback', 'snapshot-id': snapshotId }) })
    expect(rollback.exitCode).toBe(0)
    // The rollback's safety snapshot stays; the delete below removes the one taken above.
    expect(await t.counter(id).get()).toBe(1n)
    expect(t.net.canister(id)?.status).toBe('running')

    const del = await runStep({ inputs: inputs({ operation: 'delete', 'snapshot-id': snapshotId }) })
    expect(del.exitCode).toBe(0)
    expect((t.net.canister(id)?.snapshots ?? []).map((s) => s.id)).not.toContain(snapshotId)
  })
})
