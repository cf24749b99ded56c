/**
 * A P-256 identity through the action's own code path (parseIdentity → connect → runOperation)
 * against the emulator over HTTP, which verifies every request signature as the replica does.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runOperation } from '../src/core/operations/run.js'
import { parseIdentity } from '../src/core/identity.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { generateTestKeys, TEST_PASSWORD } from './helpers/keys.js'

let t: TestNetwork

beforeAll(async () => {
  t = await startTestNetwork()
})
afterAll(async () => {
  await t.close()
})

describe('a P-256 identity', () => {
  it.each([
    ['SEC1', false],
    ['encrypted PKCS#8', true]
  ] as const)('(%s) takes and lists a snapshot of a canister it controls', async (_label, encrypted) => {
    const keys = generateTestKeys()
    const identity = encrypted ? parseIdentity(keys.encryptedPkcs8P256, TEST_PASSWORD) : parseIdentity(keys.sec1P256)
    expect(identity.kind).toBe('p256')
    const id = await t.createCounter({ controllers: [identity.identity.getPrincipal()] })
    await t.counter(id).inc()
    const context = await t.contextAs(identity)

    const taken = await runOperation(context, { operation: 'snapshot', canisters: [id], replace: [], stop: true, stopTimeoutSeconds: 30, dryRun: false })
    expect(taken.results.map((r) => r.outcome)).toEqual(['ok'])
    const snapshotId = taken.results[0]?.snapshotId
    expect((t.net.canister(id)?.snapshots ?? []).map((s) => s.id)).toEqual([snapshotId])
    expect(t.net.canister(id)?.status).toBe('running')

    const listed = await runOperation(context, { operation: 'list', canisters: [id] })
    expect(listed.results[0]?.outcome).toBe('ok')
    expect(listed.results[0]?.snapshots?.map((s) => s.id)).toEqual([snapshotId])
  })

  it('is refused where its principal is not a controller, so the emulator saw that principal as the sender', async () => {
    const identity = parseIdentity(generateTestKeys().pkcs8P256)
    const id = await t.createCounter()
    const listed = await runOperation(await t.contextAs(identity), { operation: 'list', canisters: [id] })
    expect(listed.results[0]?.outcome).toBe('failed')
    expect(listed.results[0]?.error).toContain(identity.principal)
    expect(t.net.canister(id)?.snapshots).toEqual([])
  })
})
