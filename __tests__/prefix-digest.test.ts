import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { PrefixDigest } from '../src/core/transfer/prefix-digest.js'
import { SLICE_SIZE } from '../src/core/transfer/slices.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'prefix-digest-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Writes `data` slice by slice in `order`, counting each slice done once it is on disk. */
async function writeInOrder(name: string, data: Buffer, order: number[], declaredSize = data.length): Promise<string> {
  const file = path.join(dir, name)
  const handle = await open(file, 'w+')
  try {
    await handle.truncate(declaredSize)
    const done = new Set<number>()
    const digest = new PrefixDigest(handle, declaredSize, (index) => done.has(index))
    await Promise.all(
      order.map(async (index) => {
        const slice = data.subarray(index * SLICE_SIZE, (index + 1) * SLICE_SIZE)
        await handle.write(slice, 0, slice.length, index * SLICE_SIZE)
        done.add(index)
        digest.advance()
      })
    )
    return await digest.digest()
  } finally {
    await handle.close()
  }
}

describe('PrefixDigest', () => {
  const data = randomBytes(3 * SLICE_SIZE + 12_345)

  it('hashes slices written in any order to the SHA-256 of the whole file', async () => {
    expect(await writeInOrder('reverse', data, [3, 2, 1, 0])).toBe(sha256(data))
    expect(await writeInOrder('shuffled', data, [1, 3, 0, 2])).toBe(sha256(data))
  })

  it('hashes slices done before the transfer (a resumed download) without being told again', async () => {
    const file = path.join(dir, 'resumed')
    await writeFile(file, data)
    const handle = await open(file, 'r+')
    try {
      const digest = new PrefixDigest(handle, data.length, () => true)
      expect(await digest.digest()).toBe(sha256(data))
    } finally {
      await handle.close()
    }
  })

  it('hashes an empty file', async () => {
    expect(await writeInOrder('empty', Buffer.alloc(0), [])).toBe(sha256(new Uint8Array()))
  })

  it('refuses to give a digest while a slice is missing', async () => {
    await expect(writeInOrder('gap', data, [0, 1, 3])).rejects.toThrow(/slice 2 of 4 was never written/)
  })

  it('reports a file that ends before its declared size', async () => {
    const file = path.join(dir, 'short')
    await writeFile(file, data.subarray(0, SLICE_SIZE + 10))
    const handle = await open(file, 'r')
    try {
      const digest = new PrefixDigest(handle, data.length, () => true)
      await expect(digest.digest()).rejects.toThrow(/ends at 2000010 bytes, before its declared/)
    } finally {
      await handle.close()
    }
  })
})
