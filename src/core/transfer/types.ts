import type { Principal } from '@icp-sdk/core/principal'
import type { Logger } from '../logger.js'
import type { SnapshotDataClient } from './client.js'
import type { TransferProgress } from './progress-file.js'
import type { ReadAhead } from './read-ahead.js'
import type { RetryPolicy } from '../retry.js'
import type { BlobKind } from './slices.js'

/** One of the three offset-addressed byte arrays and the local file that holds it. */
export interface BlobFile {
  kind: BlobKind
  path: string
  size: number
}

/** One Wasm chunk-store entry: its SHA-256 (which is also its name) and its file. */
export interface ChunkFile {
  hash: Uint8Array
  path: string
}

export interface TransferOptions {
  client: SnapshotDataClient
  canisterId: Principal
  /** Hex; the snapshot read from (download) or written into (upload). */
  snapshotId: string
  blobs: BlobFile[]
  chunks: ChunkFile[]
  progress: TransferProgress
  /** Update calls in flight at once. */
  concurrency: number
  logger: Logger
  retry?: RetryPolicy
  signal?: AbortSignal
  /** Minimum time between two progress lines. */
  progressIntervalMs?: number
  /** Minimum time between two writes of the resume record. */
  saveIntervalMs?: number
  /**
   * Upload only: called once every chunk-store entry is in the snapshot (at the start when none is
   * left to send). Chunks go first, so what depends on them can run while the slices move.
   */
  onChunksUploaded?: () => void
  /** Download only: slices already being read (started before the sizes were known); taken first. */
  readAhead?: ReadAhead
}

export interface TransferStats {
  /** Bytes moved over the network in this run. */
  bytesTransferred: number
  /** Bytes skipped because an earlier run had moved them. */
  bytesResumed: number
  slicesTransferred: number
  slicesResumed: number
  chunksTransferred: number
  chunksResumed: number
  retries: number
  durationMs: number
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function newStats(): TransferStats {
  return {
    bytesTransferred: 0,
    bytesResumed: 0,
    slicesTransferred: 0,
    slicesResumed: 0,
    chunksTransferred: 0,
    chunksResumed: 0,
    retries: 0,
    durationMs: 0
  }
}
