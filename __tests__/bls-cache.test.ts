import { describe, expect, it, jest } from '@jest/globals'
import { createCachedBlsVerify } from '../src/core/ic/bls-cache.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('createCachedBlsVerify', () => {
  it('checks one (key, signature, message) once and repeats its answer', async () => {
    const verify = jest.fn((_pk: Uint8Array, sig: Uint8Array) => sig[0] === 1)
    const cached = createCachedBlsVerify(verify)
    expect(await cached(bytes(9), bytes(1), bytes(7))).toBe(true)
    expect(await cached(bytes(9), bytes(1), bytes(7))).toBe(true)
    expect(await cached(bytes(9), bytes(2), bytes(7))).toBe(false)
    expect(await cached(bytes(9), bytes(2), bytes(7))).toBe(false)
    expect(verify).toHaveBeenCalledTimes(2)
  })

  it('never answers for a different message, key or signature from memory', async () => {
    const verify = jest.fn(() => true)
    const cached = createCachedBlsVerify(verify)
    await cached(bytes(1), bytes(2), bytes(3))
    await cached(bytes(1), bytes(2), bytes(4))
    await cached(bytes(5), bytes(2), bytes(3))
    await cached(bytes(1), bytes(6), bytes(3))
    // Byte strings that would collide if concatenated without a separator stay distinct.
    await cached(bytes(1, 2), bytes(), bytes(3))
    expect(verify).toHaveBeenCalledTimes(5)
  })

  it('lets concurrent responses of one round share a check still running', async () => {
    let finish: (answer: boolean) => void = () => undefined
    const pending = new Promise<boolean>((resolve) => (finish = resolve))
    const verify = jest.fn(() => pending)
    const cached = createCachedBlsVerify(verify)
    const first = cached(bytes(1), bytes(2), bytes(3))
    const second = cached(bytes(1), bytes(2), bytes(3))
    finish(true)
    expect(await Promise.all([first, second])).toEqual([true, true])
    expect(verify).toHaveBeenCalledTimes(1)
  })

  it('does not remember a check that threw', async () => {
    const verify = jest.fn<() => boolean>().mockImplementationOnce(() => {
      throw new Error('bad point')
    })
    verify.mockReturnValue(true)
    const cached = createCachedBlsVerify(verify)
    await expect(cached(bytes(1), bytes(2), bytes(3))).rejects.toThrow('bad point')
    expect(await cached(bytes(1), bytes(2), bytes(3))).toBe(true)
    expect(verify).toHaveBeenCalledTimes(2)
  })

  it("keeps an answer used in every round (a delegation's check) while one-round answers come and go", async () => {
    const verify = jest.fn(() => true)
    const cached = createCachedBlsVerify(verify, 2)
    for (let round = 10; round < 20; round++) {
      await cached(bytes(round), bytes(round), bytes(round))
      await cached(bytes(1), bytes(1), bytes(1))
    }
    // Ten rounds, each with its own signature, plus the shared one checked once.
    expect(verify).toHaveBeenCalledTimes(11)
  })

  it('forgets the least recently used answer beyond its capacity', async () => {
    const verify = jest.fn(() => true)
    const cached = createCachedBlsVerify(verify, 2)
    await cached(bytes(1), bytes(1), bytes(1))
    await cached(bytes(2), bytes(2), bytes(2))
    await cached(bytes(3), bytes(3), bytes(3))
    await cached(bytes(1), bytes(1), bytes(1))
    expect(verify).toHaveBeenCalledTimes(4)
  })
})
