import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** SHA-256 (hex) and length of a file, read as a stream so memory does not grow with its size. */
export async function digestFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const data = chunk as Buffer
    hash.update(data)
    bytes += data.length
  }
  return { sha256: hash.digest('hex'), bytes }
}
