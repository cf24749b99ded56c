/**
 * The mainnet profile: ingress packed into blocks (pure, with a fake clock), and the pace a real
 * client sees through the emulator (lower bounds only: a loaded machine can only add time).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpAgent } from '@icp-sdk/core/agent'
import { IDL } from '@icp-sdk/core/candid'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import type { Principal } from '@icp-sdk/core/principal'
import { loadCanisterModule } from '../canisters/index.js'
import { IngressBlocks, PROFILES } from '../src/http/pacing.js'
import { Emulator } from '../src/index.js'

const MB2 = 2_000_200 // a 2,000,000-byte upload slice with its envelope

describe('IngressBlocks', () => {
  const limits = PROFILES.mainnet.ingress
  const clock = (start = 0) => {
    const c = { t: start, now: () => c.t }
    return c
  }

  it('puts two 2 MB slices in a block; the rest of 16 wait one block per pair', () => {
    const c = clock()
    const blocks = new IngressBlocks(limits, c.now)
    const delays = Array.from({ length: 16 }, () => blocks.admit(MB2))
    expect(delays).toEqual([0, 0, 1000, 1000, 2000, 2000, 3000, 3000, 4000, 4000, 5000, 5000, 6000, 6000, 7000, 7000])
  })

  it('takes up to 1000 small messages per block', () => {
    const blocks = new IngressBlocks(limits, clock().now)
    const delays = Array.from({ length: 1001 }, () => blocks.admit(300))
    expect(delays.filter((d) => d === 0)).toHaveLength(1000)
    expect(delays[1000]).toBe(1000)
  })

  it('lets a small message into a block a large one left room in, and forgets blocks already cut', () => {
    const c = clock()
    const blocks = new IngressBlocks(limits, c.now)
    expect(blocks.admit(MB2)).toBe(0)
    expect(blocks.admit(MB2)).toBe(0)
    expect(blocks.admit(300)).toBe(1000) // the first block holds ≥ the 2 MiB soft cap
    c.t = 1500 // the blocks up to 2 s are cut
    expect(blocks.admit(MB2)).toBe(0)
  })

  it.each([0, 1, 2, 3, 4, 5, 6])('makes two of six 2 MB slices wait a block when a cut falls after %i of them', (before) => {
    const c = clock(600)
    const blocks = new IngressBlocks(limits, c.now)
    const delays = Array.from({ length: 6 }, (_, i) => {
      if (i === before) c.t = 1200 // the block open at 600 ms is cut at 1 s
      return blocks.admit(MB2)
    })
    expect(delays.filter((d) => d >= 1000).length).toBeGreaterThanOrEqual(2)
  })

  it('never puts more than 4 MiB in a block', () => {
    const blocks = new IngressBlocks(limits, clock().now)
    expect(blocks.admit(1_000_000)).toBe(0)
    expect(blocks.admit(2_000_000)).toBe(0)
    expect(blocks.admit(1_500_000)).toBe(1000) // 3 MB is past the soft cap
    expect(blocks.admit(3_000_000)).toBe(2000) // 1.5 MB + 3 MB > 4 MiB: not in the same block
  })
})

describe('an emulator with the mainnet profile', () => {
  const me = Ed25519KeyIdentity.generate()
  let net: Emulator
  let agent: HttpAgent
  let counter: Principal

  beforeAll(async () => {
    net = await Emulator.start({ seed: 'pacing', profile: 'mainnet' })
    agent = await HttpAgent.create({ host: net.url, identity: me, rootKey: net.rootKey })
    counter = await net.createCanister({ controllers: [me.getPrincipal()], wasmModule: await loadCanisterModule('counter_v1') })
  })
  afterAll(async () => {
    await net.close()
  })

  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const started = performance.now()
    await fn()
    return performance.now() - started
  }

  it('answers a query after a round trip of 250 ms and an update call after 2 s', async () => {
    const empty = IDL.encode([], [])
    expect(await timed(() => agent.query(counter, { methodName: 'get', arg: empty }))).toBeGreaterThanOrEqual(250)
    expect(await timed(() => agent.update(counter, { methodName: 'inc', arg: empty, effectiveCanisterId: counter }))).toBeGreaterThanOrEqual(2000)
  })

  it('makes at least two of six 2 MB calls sent together wait for a later block', async () => {
    // Blocks are cut on a fixed one-second grid, and on a loaded machine six calls may reach the
    // emulator on both sides of a cut. Six slices need three blocks of two wherever one cut falls
    // among them, so at least two wait a block beyond the first one open to them (four calls
    // split two and two by a cut would all find room and wait for nothing).
    // The canister rejects the argument; what is measured is how long the call took to be answered.
    const big = new Uint8Array(1_999_000)
    const send = (): Promise<unknown> => agent.update(counter, { methodName: 'inc', arg: big, effectiveCanisterId: counter }).catch(() => undefined)
    const durations = await Promise.all(Array.from({ length: 6 }, () => timed(send)))
    durations.sort((a, b) => a - b)
    expect(durations[0]).toBeGreaterThanOrEqual(2000)
    expect(durations[4]).toBeGreaterThanOrEqual(3000 - 5)
    expect(durations[5]).toBeGreaterThanOrEqual(3000 - 5)
  })
})
