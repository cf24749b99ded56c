/**
 * Uploads local blob files and chunk-store files into a snapshot created by
 * `upload_canister_snapshot_metadata`. Slices are read from disk only when their upload starts, into
 * the call's own argument where the client offers room for it, so memory stays at about
 * `concurrency` slices whatever the snapshot's size.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-upload_canister_snapshot_data
 */
import { promises as fs } from 'node:fs'
import type { UploadCanisterSnapshotDataKind } from './client.js'
import { runPool } from './pool.js'
import { ProgressLog } from './progress-log.js'
import { withRetry } from '../retry.js'
import { sliceAt, type BlobKind } from './slices.js'
import { hex, newStats, type TransferOptions, type TransferStats } from './types.js'
import { dataRetryContext, pendingSlices, throttledSave, type WorkItem } from './work.js'

export async function uploadSnapshotData(options: TransferOptions): Promise<TransferStats> {
  const { client, canisterId, snapshotId, progress, logger } = options
  const handles = new Map<BlobKind, fs.FileHandle>()
  const stats = newStats()
  try {
    // A zero-size blob has no slices; dfx does not even write its file.
    for (const blob of options.blobs) if (blob.size > 0) handles.set(blob.kind, await fs.open(blob.path, 'r'))
    const chunkWork: WorkItem[] = []
    for (const chunk of options.chunks) {
      if (progress.chunks.has(hex(chunk.hash))) stats.chunksResumed++
      else chunkWork.push({ chunk })
    }
    const work = [...chunkWork, ...pendingSlices(options.blobs, progress, stats)]
    let chunksLeft = chunkWork.length
    if (chunksLeft === 0) options.onChunksUploaded?.()
    if (stats.slicesResumed + stats.chunksResumed > 0) {
      logger.info(`Resuming: ${stats.slicesResumed} slices and ${stats.chunksResumed} chunks were already uploaded.`)
    }
    const log = new ProgressLog(logger, {
      label: 'Uploading',
      totalBytes: options.blobs.reduce((sum, b) => sum + b.size, 0),
      resumedBytes: stats.bytesResumed,
      intervalMs: options.progressIntervalMs
    })
    const saveNowAndThen = throttledSave(options, () => progress.save())
    const retryCtx = dataRetryContext(options, 'upload_canister_snapshot_data', 'a slice upload', stats, logger)

    try {
      await runPool(
        work,
        async (item) => {
          if ('chunk' in item) {
            const chunk = await fs.readFile(item.chunk.path)
            await withRetry(
              () => client.uploadCanisterSnapshotData({ canisterId, snapshotId, kind: { wasmChunk: null }, chunk }),
              retryCtx
            )
            progress.markChunk(hex(item.chunk.hash))
            stats.chunksTransferred++
            stats.bytesTransferred += chunk.length
            if (--chunksLeft === 0) options.onChunksUploaded?.()
          } else {
            const slice = sliceAt(item.index, item.blob.size)
            const handle = handles.get(item.blob.kind)
            if (handle === undefined) throw new Error(`no open file for ${item.blob.kind}`)
            const kind = { [item.blob.kind]: { offset: BigInt(slice.offset) } } as UploadCanisterSnapshotDataKind
            const room = client.uploadChunkBuffer?.({ canisterId, snapshotId, kind }, slice.size) ?? new Uint8Array(slice.size)
            const chunk = await readFully(handle, room, slice.offset, item.blob.path)
            await withRetry(() => client.uploadCanisterSnapshotData({ canisterId, snapshotId, kind, chunk }), retryCtx)
            progress.markSlice(item.blob.kind, item.index)
            stats.slicesTransferred++
            stats.bytesTransferred += chunk.length
            log.add(chunk.length)
          }
          await saveNowAndThen()
        },
        { concurrency: options.concurrency, signal: options.signal }
      )
    } finally {
      await progress.save()
    }
    log.finish()
    stats.durationMs = log.elapsedMs
    return stats
  } finally {
    await Promise.all([...handles.values()].map((h) => h.close()))
  }
}

/** Fills `buffer` from `offset`; a file that ends early was truncated or changed under us. */
async function readFully(handle: fs.FileHandle, buffer: Uint8Array, offset: number, file: string): Promise<Uint8Array> {
  const size = buffer.length
  let read = 0
  while (read < size) {
    const { bytesRead } = await handle.read(buffer, read, size - read, offset + read)
    if (bytesRead === 0) throw new Error(`${file} ended at ${offset + read} bytes while ${offset + size} were expected; it was truncated or changed during the upload.`)
    read += bytesRead
  }
  return buffer
}
