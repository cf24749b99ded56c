/**
 * The committed test-canister modules are exactly what their sources build to (reproducible
 * builds, checked in CI), and the JS ballast checksum agrees with itself however it is chunked.
 */
import { describe, expect, it } from '@jest/globals'
import { BallastChecksum, ballastChecksum, BALLAST_HEAP_START, CANISTER_NAMES, loadCanisterModule } from '../canisters/index.js'
import { buildCanisterModule } from '../canisters/build.js'
import { StableMemory } from '../src/execution/stable-memory.js'

describe('test canister modules', () => {
  it.each(CANISTER_NAMES)('build/%s.wasm matches a fresh build of its source (run `npm run build:canisters` if not)', async (name) => {
    const built = await buildCanisterModule(name)
    expect(Buffer.from(built).equals(Buffer.from(await loadCanisterModule(name)))).toBe(true)
  })
})

describe('BallastChecksum', () => {
  const heap = new Uint8Array(BALLAST_HEAP_START + 4096).map((_, i) => (i * 7 + 3) & 0xff)
  const stable = new Uint8Array(8192).map((_, i) => (i * 13 + 1) & 0xff)

  it('gives the same digest for any chunking, including chunks that split words', () => {
    const whole = ballastChecksum(heap, stable)
    const streamed = new BallastChecksum()
    const ballast = heap.subarray(BALLAST_HEAP_START)
    for (let at = 0; at < ballast.length; at += 333) streamed.update(ballast.subarray(at, at + 333))
    for (let at = 0; at < stable.length; at += 1001) streamed.update(stable.subarray(at, at + 1001))
    expect(streamed.digest()).toBe(whole)
  })

  it('changes when one byte changes', () => {
    const changed = stable.slice()
    changed[5000] = (changed[5000] ?? 0) ^ 1
    expect(ballastChecksum(heap, changed)).not.toBe(ballastChecksum(heap, stable))
  })

  it('refuses input that does not end on a word boundary', () => {
    expect(() => new BallastChecksum().update(Uint8Array.of(1, 2, 3)).digest()).toThrow(/whole number of 32-bit words/)
  })
})

describe('StableMemory', () => {
  it('undoes writes and growth, and a page grown again after a rollback reads as zeros', () => {
    const memory = new StableMemory()
    memory.grow(1)
    memory.write(10, Uint8Array.of(1, 2, 3))
    memory.begin()
    memory.write(10, Uint8Array.of(9, 9, 9))
    expect(memory.grow(2)).toBe(1)
    memory.write(70_000, Uint8Array.of(7))
    memory.rollback()
    expect(memory.sizeInPages).toBe(1)
    expect([...memory.view().subarray(10, 13)]).toEqual([1, 2, 3])
    memory.grow(2)
    expect(memory.view()[70_000]).toBe(0)
  })

  it('refuses to grow beyond the limit and leaves the size alone', () => {
    const memory = new StableMemory()
    expect(memory.grow(3, 2)).toBe(-1)
    expect(memory.sizeInPages).toBe(0)
  })
})
