/**
 * Uploads blobs and chunk-store entries into a snapshot created by
 * `upload_canister_snapshot_metadata`. Each slice is fetched from its source (local files, or
 * another canister's snapshot for a copy across subnets) only when its upload starts, into the
 * call's own argument where the client offers room for it, so memory stays at about `concurrency`
 * slices whatever the snapshot's size.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-upload_canister_snapshot_data
 */
import type { UploadCanisterSnapshotDataKind } from './client.js'
import { runPool } from './pool.js'
import { ProgressLog } from './progress-log.js'
import { withRetry } from '../retry.js'
import { openDiskSource, type SliceSource } from './slice-source.js'
import { sliceAt } from './slices.js'
import { hex, newStats, type TransferOptions, type TransferStats } from './types.js'
import { dataRetryContext, pendingSlices, throttledSave, type WorkItem } from './work.js'

/** `source`: where the bytes come from; the blob and chunk files of `options` when not given. */
export async function uploadSnapshotData(options: TransferOptions, given?: SliceSource): Promise<TransferStats> {
  const { client, canisterId, snapshotId, progress, logger } = options
  const stats = newStats()
  const source = given ?? (await openDiskSource(options.blobs))
  try {
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
            const chunk = await source.chunk(item.chunk)
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
            const kind = { [item.blob.kind]: { offset: BigInt(slice.offset) } } as UploadCanisterSnapshotDataKind
            const room = (): Uint8Array => client.uploadChunkBuffer?.({ canisterId, snapshotId, kind }, slice.size) ?? new Uint8Array(slice.size)
            const chunk = await source.slice(item.blob.kind, slice, room)
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
    if (given === undefined) await source.close()
  }
}
