import { describe, expect, it, jest } from '@jest/globals'
import { createCachedBlsVerify } from '../src/core/ic/bls-cache.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('createCachedBlsVerify', () => {
  it('checks one (key, signature, message) once and repeats its answer', () => {
    const verify = jest.fn((_pk: Uint8Array, sig: Uint8Array) => sig[0] === 1)
    const cached = createCachedBlsVerify(verify)
    expect(cached(bytes(9), bytes(1), bytes(7))).toBe(true)
    expect(cached(bytes(9), bytes(1), bytes(7))).toBe(true)
    expect(cached(bytes(9), bytes(2), bytes(7))).toBe(false)
    expect(cached(bytes(9), bytes(2), bytes(7))).toBe(false)
    expect(verify).toHaveBeenCalledTimes(2)
  })

  it('never answers for a different message, key or signature from memory', () => {
    const verify = jest.fn(() => true)
    const cached = createCachedBlsVerify(verify)
    cached(bytes(1), bytes(2), bytes(3))
    cached(bytes(1), bytes(2), bytes(4))
    cached(bytes(5), bytes(2), bytes(3))
    cached(bytes(1), bytes(6), bytes(3))
    // Byte strings that would collide if concatenated without a separator stay distinct.
    cached(bytes(1, 2), bytes(), bytes(3))
    expect(verify).toHaveBeenCalledTimes(5)
  })

  it('forgets the oldest answer beyond its capacity', () => {
    const verify = jest.fn(() => true)
    const cached = createCachedBlsVerify(verify, 2)
    cached(bytes(1), bytes(1), bytes(1))
    cached(bytes(2), bytes(2), bytes(2))
    cached(bytes(3), bytes(3), bytes(3))
    cached(bytes(1), bytes(1), bytes(1))
    expect(verify).toHaveBeenCalledTimes(4)
  })
})
