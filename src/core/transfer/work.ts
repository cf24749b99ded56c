/**
 * The bookkeeping the download and upload engines share: which slices are still to move, how a
 * retried call is reported, and how often the resume record is written.
 */
import type { Logger } from '../logger.js'
import type { TransferProgress } from './progress-file.js'
import type { RetryContext } from '../retry.js'
import { sliceAt, sliceCount } from './slices.js'
import type { BlobFile, ChunkFile, TransferOptions, TransferStats } from './types.js'

export type SliceItem = { blob: BlobFile; index: number }
export type WorkItem = SliceItem | { chunk: ChunkFile }

/** Every slice the progress record does not mark done, in file order; done ones count as resumed. */
export function pendingSlices(blobs: readonly BlobFile[], progress: TransferProgress, stats: TransferStats): SliceItem[] {
  const work: SliceItem[] = []
  for (const blob of blobs) {
    for (let index = 0; index < sliceCount(blob.size); index++) {
      if (progress.blobs[blob.kind].has(index)) {
        stats.slicesResumed++
        stats.bytesResumed += sliceAt(index, blob.size).size
      } else {
        work.push({ blob, index })
      }
    }
  }
  return work
}

/** Retries of one data method, counted in `stats` and logged at debug level as `what`. */
export function dataRetryContext(options: TransferOptions, method: string, what: string, stats: TransferStats, logger: Logger): RetryContext {
  return {
    canisterId: options.canisterId.toText(),
    method,
    // Reading a range, or writing the same bytes at the same offset (a chunk keyed by its hash), twice is harmless.
    idempotent: true,
    policy: options.retry,
    signal: options.signal,
    onRetry: (error: Error, attempt: number, delayMs: number) => {
      stats.retries++
      logger.debug(`Retrying ${what} (attempt ${attempt + 1}) in ${delayMs} ms: ${error.message}`)
    }
  }
}

/**
 * Writes the resume record at most once per `saveIntervalMs` (default 1 s): an interrupted run
 * redoes at most that much work, and the record is not rewritten after every slice.
 */
export function throttledSave(options: TransferOptions, save: () => Promise<void>): () => Promise<void> {
  const every = options.saveIntervalMs ?? 1_000
  let last = Date.now()
  return async () => {
    if (Date.now() - last < every) return
    last = Date.now()
    await save()
  }
}
