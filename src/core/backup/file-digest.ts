/**
 * SHA-256 of files. A large file (a 256 MiB heap) is hashed in a worker thread, so the files of a
 * backup are hashed side by side on as many cores as there are, instead of one after another on
 * the thread that then has to make every network call: an upload verifies the whole backup before
 * its first call, ≈ 0.4 s of one core per 512 MiB. Small files are not worth a thread's start-up.
 */
import { createHash } from 'node:crypto'
import { createReadStream, promises as fs } from 'node:fs'
import { Worker } from 'node:worker_threads'

/** From this size up a file is hashed in its own worker thread (≈ 30–50 ms to start one, measured). */
const WORKER_MIN_BYTES = 16 * 1024 * 1024

/**
 * The worker's whole program; CommonJS text, so the bundle needs no second entry point. It reads
 * through one buffer, blocking its own thread only: a stream allocates a new buffer per read, and
 * the dead ones piled up in each worker until its heap was collected (≈ 40 MB per thread, measured
 * on two 512 MiB files: verification was the upload's peak of memory).
 */
const HASH_IN_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { closeSync, openSync, readSync } = require('node:fs')
const hash = createHash('sha256')
const buffer = Buffer.allocUnsafe(1 << 20)
const fd = openSync(workerData, 'r')
let bytes = 0
try {
  for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; bytes += read) hash.update(buffer.subarray(0, read))
} finally {
  closeSync(fd)
}
parentPort.postMessage({ sha256: hash.digest('hex'), bytes })
`

export interface FileDigest {
  sha256: string
  bytes: number
}

/** SHA-256 (hex) and length of a file, read as a stream so memory does not grow with its size. */
export async function digestFile(file: string): Promise<FileDigest> {
  const size = (await fs.stat(file)).size
  if (size >= WORKER_MIN_BYTES) {
    const inWorker = await digestInWorker(file).catch(() => undefined)
    // Where worker threads are unavailable the file is hashed here, as small ones are.
    if (inWorker !== undefined) return inWorker
  }
  return digestHere(file)
}

async function digestHere(file: string): Promise<FileDigest> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const data = chunk as Buffer
    hash.update(data)
    bytes += data.length
  }
  return { sha256: hash.digest('hex'), bytes }
}

/** The worker-thread path alone (its test must not pass on the fallback). */
export function digestInWorker(file: string): Promise<FileDigest> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(HASH_IN_WORKER, { eval: true, workerData: file })
    let answer: FileDigest | undefined
    worker.once('message', (message: FileDigest) => {
      answer = message
    })
    worker.once('error', reject)
    worker.once('exit', (code) => (answer !== undefined ? resolve(answer) : reject(new Error(`the hashing thread for ${file} exited with code ${code}`))))
  })
}
