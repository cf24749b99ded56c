import { describe, expect, it } from '@jest/globals'
import { WriteBehind } from '../src/core/transfer/write-behind.js'

/** A write that finishes when the test says so. */
function gate(): { write: () => Promise<void>; open: () => void; fail: (error: Error) => void; started: () => boolean } {
  let resolve!: () => void
  let reject!: (error: Error) => void
  let started = false
  const done = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return {
    write: () => {
      started = true
      return done
    },
    open: () => resolve(),
    fail: (error) => reject(error),
    started: () => started
  }
}

describe('WriteBehind', () => {
  it('runs at most `limit` writes and makes the next one wait for a free place', async () => {
    const writes = new WriteBehind(2)
    const [a, b, c] = [gate(), gate(), gate()]
    await writes.add(a.write)
    await writes.add(b.write)
    let thirdAdded = false
    const third = writes.add(c.write).then(() => {
      thirdAdded = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(thirdAdded).toBe(false)
    expect(c.started()).toBe(false)
    a.open()
    await third
    expect(c.started()).toBe(true)
    b.open()
    c.open()
    await writes.drain()
  })

  it('fails the next add and the drain with the first failed write', async () => {
    const writes = new WriteBehind(4)
    const failing = gate()
    await writes.add(failing.write)
    failing.fail(new Error('disk full'))
    await writes.settle()
    await expect(writes.add(async () => undefined)).rejects.toThrow('disk full')
    await expect(writes.drain()).rejects.toThrow('disk full')
  })

  it('settles without throwing, after every write has finished', async () => {
    const writes = new WriteBehind(4)
    const [ok, bad] = [gate(), gate()]
    await writes.add(ok.write)
    await writes.add(bad.write)
    let settled = false
    const settling = writes.settle().then(() => {
      settled = true
    })
    bad.fail(new Error('lost'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    ok.open()
    await settling
    expect(settled).toBe(true)
  })
})
