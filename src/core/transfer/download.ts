/**
 * Downloads a snapshot's blobs and chunk store into local files: every 2,000,000-byte slice is
 * read concurrently and written at its offset into a file preallocated to its final size, so memory
 * stays at about `concurrency` slices (plus the few writes behind them) whatever the snapshot's
 * size. Each blob file is hashed from disk as its completed prefix grows, so its SHA-256 is ready
 * when the last slice lands.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_data
 */
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { checkChunkHash, readSlice } from './client.js'
import { runPool } from './pool.js'
import { PrefixDigest } from './prefix-digest.js'
import { ProgressLog } from './progress-log.js'
import { withRetry } from '../retry.js'
import { sliceAt, type BlobKind } from './slices.js'
import { hex, newStats, type BlobFile, type ChunkFile, type TransferOptions, type TransferStats } from './types.js'
import { dataRetryContext, pendingSlices, throttledSave, type SliceItem, type WorkItem } from './work.js'
import { WriteBehind } from './write-behind.js'

/** As many as libuv's default thread pool writes at once; each holds one slice (2 MB) of memory. */
const WRITES_BEHIND = 4

export interface DownloadedData {
  stats: TransferStats
  /** SHA-256 (hex) of each blob file as it is on disk. */
  blobSha256: Map<BlobKind, string>
}

export async function downloadSnapshotData(options: TransferOptions): Promise<DownloadedData> {
  const { client, canisterId, snapshotId, progress, logger } = options
  const handles = new Map<BlobKind, fs.FileHandle>()
  const digests = new Map<BlobKind, PrefixDigest>()
  const stats = newStats()
  try {
    for (const blob of options.blobs) {
      const handle = await openPreallocated(blob, progress.blobs[blob.kind].size > 0)
      handles.set(blob.kind, handle)
      const done = progress.blobs[blob.kind]
      digests.set(blob.kind, new PrefixDigest(handle, blob.size, (index) => done.has(index)))
    }
    const pendingChunks: ChunkFile[] = []
    let resumedChunkBytes = 0
    for (const chunk of options.chunks) {
      if (await chunkFileMatches(chunk)) {
        progress.markChunk(hex(chunk.hash))
        stats.chunksResumed++
        const size = (await fs.stat(chunk.path)).size
        stats.bytesResumed += size
        resumedChunkBytes += size
      } else {
        pendingChunks.push(chunk)
      }
    }
    const { readAhead } = options
    const slices = pendingSlices(options.blobs, progress, stats)
    // Slices already on their way go first: each then holds its memory for no longer than a call.
    const isReadAhead = (item: SliceItem): boolean => readAhead?.has(item.blob.kind, item.index) === true
    const work: WorkItem[] = [...slices.filter(isReadAhead), ...slices.filter((item) => !isReadAhead(item)), ...pendingChunks.map((chunk) => ({ chunk }))]

    // Chunk sizes are unknown until read (each is at most 1 MiB); the percentage covers the blobs.
    const totalBytes = options.blobs.reduce((sum, b) => sum + b.size, 0)
    if (stats.bytesResumed > 0) {
      logger.info(`Resuming: ${stats.slicesResumed} slices and ${stats.chunksResumed} chunks are already on disk.`)
    }
    const log = new ProgressLog(logger, {
      label: 'Downloading',
      totalBytes,
      resumedBytes: stats.bytesResumed - resumedChunkBytes,
      intervalMs: options.progressIntervalMs
    })
    const flushData = async (): Promise<void> => {
      await Promise.all([...handles.values()].map((h) => h.datasync()))
    }
    await progress.save(flushData)
    const saveNowAndThen = throttledSave(options, () => progress.save(flushData))
    const retryCtx = dataRetryContext(options, 'read_canister_snapshot_data', 'a slice read', stats, logger)
    const writes = new WriteBehind(WRITES_BEHIND)

    try {
      await runPool(
        work,
        async (item) => {
          if ('chunk' in item) {
            const bytes = await withRetry(
              async () => (await client.readCanisterSnapshotData({ canisterId, snapshotId, kind: { wasmChunk: { hash: item.chunk.hash } } })).chunk,
              retryCtx
            )
            await writeChunkFile(item.chunk, bytes)
            progress.markChunk(hex(item.chunk.hash))
            stats.chunksTransferred++
            stats.bytesTransferred += bytes.length
          } else {
            const slice = sliceAt(item.index, item.blob.size)
            const bytes =
              (await readAhead?.take(item.blob.kind, item.index, slice.size)) ??
              (await withRetry(() => readSlice(client, { canisterId, snapshotId }, item.blob.kind, slice), retryCtx))
            const handle = handles.get(item.blob.kind)
            if (handle === undefined) throw new Error(`no open file for ${item.blob.kind}`)
            // Marked done only once written, so the resume record never claims a slice still in memory.
            await writes.add(async () => {
              await writeFully(handle, bytes, slice.offset)
              progress.markSlice(item.blob.kind, item.index)
              digests.get(item.blob.kind)?.advance()
              stats.slicesTransferred++
              stats.bytesTransferred += bytes.length
              log.add(bytes.length)
            })
          }
          await saveNowAndThen()
        },
        { concurrency: options.concurrency, signal: options.signal }
      )
      await writes.drain()
      if (readAhead !== undefined && readAhead.started > 0) {
        logger.debug(`Read ahead ${readAhead.started} slice(s) while the metadata was on its way; ${readAhead.usedCount} were used.`)
      }
    } finally {
      readAhead?.discard()
      // Writes still running finish first: they count in the record, and their files are still open.
      await writes.settle()
      await progress.save(flushData)
    }
    const blobSha256 = new Map<BlobKind, string>()
    for (const [kind, digest] of digests) blobSha256.set(kind, await digest.digest())
    log.finish()
    stats.durationMs = log.elapsedMs
    return { stats, blobSha256 }
  } finally {
    await Promise.all([...handles.values()].map((h) => h.close()))
  }
}

/** Opens a blob file at its final size; `keep` reuses what an interrupted run wrote. */
async function openPreallocated(blob: BlobFile, keep: boolean): Promise<fs.FileHandle> {
  await fs.mkdir(path.dirname(blob.path), { recursive: true })
  const handle = await fs.open(blob.path, keep ? 'r+' : 'w+').catch(async (error: unknown) => {
    if (keep && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${blob.path} is missing but the progress record says part of it was downloaded; delete the progress file to start over.`)
    }
    throw error
  })
  await handle.truncate(blob.size)
  return handle
}

async function writeFully(handle: fs.FileHandle, bytes: Uint8Array, offset: number): Promise<void> {
  let written = 0
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, offset + written)
    written += bytesWritten
  }
}

/** Chunk files are written whole under a temporary name, so a present file is a complete one. */
async function writeChunkFile(chunk: ChunkFile, bytes: Uint8Array): Promise<void> {
  checkChunkHash(chunk.hash, bytes)
  await fs.mkdir(path.dirname(chunk.path), { recursive: true })
  const tmp = `${chunk.path}.partial`
  await fs.writeFile(tmp, bytes)
  await fs.rename(tmp, chunk.path)
}

async function chunkFileMatches(chunk: ChunkFile): Promise<boolean> {
  let bytes: Buffer
  try {
    bytes = await fs.readFile(chunk.path)
  } catch {
    return false
  }
  return createHash('sha256').update(bytes).digest().equals(Buffer.from(chunk.hash))
}
