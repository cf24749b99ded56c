import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { digestFile, digestInWorker } from '../src/core/backup/file-digest.js'

let dir: string
let large: string
let largeBytes: Buffer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-digest-'))
  large = join(dir, 'large.bin')
  largeBytes = randomBytes(17 * 1024 * 1024 + 123)
  await writeFile(large, largeBytes)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe('digestFile', () => {
  it('hashes a large file in a worker thread to the same SHA-256 and length', async () => {
    expect(await digestInWorker(large)).toEqual({ sha256: sha256(largeBytes), bytes: largeBytes.length })
    expect(await digestFile(large)).toEqual({ sha256: sha256(largeBytes), bytes: largeBytes.length })
  })

  it('hashes small and empty files on this thread', async () => {
    const small = join(dir, 'small.bin')
    await writeFile(small, Buffer.from('snapshot'))
    expect(await digestFile(small)).toEqual({ sha256: sha256(Buffer.from('snapshot')), bytes: 8 })
    const empty = join(dir, 'empty.bin')
    await writeFile(empty, Buffer.alloc(0))
    expect(await digestFile(empty)).toEqual({ sha256: sha256(Buffer.alloc(0)), bytes: 0 })
  })

  it('rejects a missing file with its system error, from either path', async () => {
    await expect(digestFile(join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(digestInWorker(join(dir, 'missing.bin'))).rejects.toThrow(/ENOENT/)
  })
})
