/**
 * The in-flight cap is per subnet: each subnet of the IC executes its own calls, so a copy that
 * reads on one subnet and writes on another must not find its two streams queued behind one cap.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import type { Principal } from '@icp-sdk/core/principal'
import { counterIdl, loadCanisterModule, type CounterService } from '../canisters/index.js'
import { Emulator } from '../src/index.js'

const LATENCY_MS = 300
const identity = Ed25519KeyIdentity.generate()

let net: Emulator
let agent: HttpAgent
let onFirst: Principal
let alsoOnFirst: Principal
let onSecond: Principal

beforeAll(async () => {
  net = await Emulator.start({ seed: 'in-flight-cap-test', subnets: 2, latencyMs: LATENCY_MS, maxInFlightUpdates: 1 })
  agent = await HttpAgent.create({ host: net.url, identity, rootKey: net.rootKey })
  const wasmModule = await loadCanisterModule('counter_v1')
  const controllers = [identity.getPrincipal()]
  onFirst = await net.createCanister({ controllers, wasmModule })
  alsoOnFirst = await net.createCanister({ controllers, wasmModule })
  onSecond = await net.createCanister({ controllers, wasmModule, subnet: 1 })
})

afterAll(async () => {
  await net.close()
})

/** Wall time of one `inc` on each canister, all sent at once. */
async function together(...ids: Principal[]): Promise<number> {
  const started = performance.now()
  await Promise.all(ids.map((canisterId) => Actor.createActor<CounterService>(counterIdl, { agent, canisterId }).inc()))
  return performance.now() - started
}

it('queues a second call on the same subnet behind the first, but not a call on another subnet', async () => {
  expect(await together(onFirst, alsoOnFirst)).toBeGreaterThanOrEqual(2 * LATENCY_MS - 1)
  // One latency plus the client's work; a shared cap would take two latencies.
  expect(await together(onFirst, onSecond)).toBeLessThan(2 * LATENCY_MS - 50)
})
