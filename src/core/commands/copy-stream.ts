/**
 * A snapshot streamed from a canister on one subnet into a new snapshot of a canister on another,
 * where `load_canister_snapshot` cannot reach it: read the source's metadata →
 * `upload_canister_snapshot_metadata` on the target → every slice and chunk read from the source
 * and uploaded to the target by the upload engine (same slices, concurrency and retries as
 * `operation: upload`, with the source canister in place of the files) → every slice read back
 * from the target and compared with the source's bytes. Nothing touches disk but a small resume
 * record, kept until the caller has loaded the snapshot: a rerun with `resume` continues the same
 * target snapshot, and after a run killed while loading it, only verifies and loads it.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-upload_canister_snapshot_metadata
 */
import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Principal } from '@icp-sdk/core/principal'
import { blobSizes } from '../backup/layout.js'
import { renderMetadataJson } from '../backup/metadata-json.js'
import { ProgressRecordError } from '../errors.js'
import { readTextIfExists } from '../read-if-exists.js'
import { withRetry, type RetryPolicy } from '../retry.js'
import { snapshotIdToHex, type SnapshotId } from '../snapshot-id.js'
import { canisterSource, emptyDigests } from '../transfer/canister-source.js'
import type { SnapshotMetadata } from '../transfer/client.js'
import { TransferProgress } from '../transfer/progress-file.js'
import { BLOB_KINDS } from '../transfer/slices.js'
import type { TransferStats } from '../transfer/types.js'
import { uploadSnapshotData } from '../transfer/upload.js'
import { verifyCopy, type VerifiedCopy } from '../transfer/verify-copy.js'
import type { CommandContext } from './types.js'
import { uploadMetadataOf } from './upload.js'

/** Names the source snapshot of an interrupted copy, so `snapshot-id: new` resumes it instead of taking another. */
const SOURCE_FILE = 'copy-source.json'

export interface StreamRequest {
  source: Principal
  sourceSnapshotId: SnapshotId
  target: Principal
  concurrency: number
  resume: boolean
  /** Where the resume record lives; one directory per target canister under the temp directory by default. */
  progressDir?: string
  retry?: RetryPolicy
  progressIntervalMs?: number
}

export interface Streamed {
  /** The new snapshot on the target. */
  snapshotId: SnapshotId
  metadata: SnapshotMetadata
  stats: TransferStats
  verified: VerifiedCopy
  resumed: boolean
  /** Deletes the resume record, once the snapshot is loaded and nothing is left to resume. */
  forget(): Promise<void>
}

export function copyProgressDir(target: Principal, given?: string): string {
  return given ?? path.join(process.env.RUNNER_TEMP ?? os.tmpdir(), 'canister-snapshot-copy', target.toText())
}

/** The source snapshot an interrupted copy onto `target` was streaming, if one was recorded. */
export async function interruptedSource(target: Principal, source: Principal, progressDir?: string): Promise<SnapshotId | undefined> {
  const file = path.join(copyProgressDir(target, progressDir), SOURCE_FILE)
  const text = await readTextIfExists(file)
  if (text === undefined) return undefined
  let record: { source?: string; snapshotId?: string } | null
  try {
    record = JSON.parse(text) as typeof record
  } catch {
    throw new ProgressRecordError(`${file} is not valid JSON; delete it to start the copy over (with 'snapshot-id: new' a new snapshot of ${source.toText()} is then taken).`)
  }
  if (typeof record?.source === 'string' && record.source !== source.toText()) {
    // Found before a snapshot of the new source is taken, which the stream's record would then refuse.
    throw new ProgressRecordError(
      `${file} belongs to an interrupted copy from ${record.source}, not ${source.toText()}; resume it with 'from-canister: ${record.source}', or delete the directory ${path.dirname(file)} to start over (the snapshot it was filling stays on ${target.toText()} until 'operation: delete' removes it).`
    )
  }
  return typeof record?.snapshotId === 'string' ? record.snapshotId : undefined
}

export async function streamSnapshot(ctx: CommandContext, req: StreamRequest): Promise<Streamed> {
  const { client, logger } = ctx
  const targetId = req.target.toText()
  const signal = ctx.deadline.signal(`Streaming ${req.sourceSnapshotId} onto ${targetId}`)
  // Every slice in flight may wait on this signal during a backoff.
  setMaxListeners(0, signal)
  const retryOf = (canisterId: string, method: string) => ({ canisterId, method, idempotent: true, policy: req.retry, signal })

  const source = { canisterId: req.source, snapshotId: req.sourceSnapshotId }
  const metadata = await withRetry(() => client.readCanisterSnapshotMetadata(source), retryOf(req.source.toText(), 'read_canister_snapshot_metadata'))
  const fingerprint = createHash('sha256').update(`${req.source.toText()}\n${req.sourceSnapshotId}\n${renderMetadataJson(metadata)}`).digest('hex')
  const sizes = blobSizes(metadata)
  const dir = copyProgressDir(req.target, req.progressDir)
  await fs.mkdir(dir, { recursive: true })
  const expected = { operation: 'copy' as const, canisterId: targetId, fingerprint }

  // A record that cannot be resumed stops the copy, as it stops an upload: starting over would leave
  // the snapshot it was filling on the target, unnamed, and use up one of its snapshots.
  let progress = req.resume ? await TransferProgress.load(dir, expected, sizes) : undefined
  if (progress !== undefined) {
    const held = await withRetry(() => client.listSnapshots(req.target), retryOf(targetId, 'list_canister_snapshots'))
    if (!held.some((s) => s.id === progress?.identity.snapshotId)) {
      logger.warning(`Snapshot ${progress.identity.snapshotId} of the interrupted copy is no longer on ${targetId}; starting over.`)
      progress = undefined
    }
  }
  const resumed = progress !== undefined
  if (progress !== undefined) {
    logger.info(`Resuming the copy into snapshot ${progress.identity.snapshotId} of ${targetId}.`)
  } else {
    const { snapshot_id } = await withRetry(
      () => client.uploadCanisterSnapshotMetadata({ canisterId: req.target, metadata: uploadMetadataOf(metadata) }),
      // A lost response may hide a created snapshot, so only refusals before execution are retried.
      { ...retryOf(targetId, 'upload_canister_snapshot_metadata'), idempotent: false }
    )
    const snapshotId = snapshotIdToHex(snapshot_id)
    logger.info(`Created snapshot ${snapshotId} on ${targetId} from the metadata of ${req.sourceSnapshotId}.`)
    progress = TransferProgress.fresh(dir, { ...expected, snapshotId }, sizes)
    // Recorded at once: a run interrupted from here on resumes into this snapshot.
    await fs.writeFile(path.join(dir, SOURCE_FILE), `${JSON.stringify({ source: req.source.toText(), snapshotId: req.sourceSnapshotId })}\n`)
    await progress.save()
  }
  const target = { canisterId: req.target, snapshotId: progress.identity.snapshotId }

  const digests = emptyDigests()
  const total = Object.values(sizes).reduce((a, b) => a + b, 0)
  logger.info(`Streaming ${total} bytes (${metadata.wasmChunkStore.length} chunk(s)) from ${req.source.toText()} to ${targetId}.`)
  const stats = await logger.group('Stream snapshot data', () =>
    uploadSnapshotData(
      {
        client,
        canisterId: req.target,
        snapshotId: target.snapshotId,
        // The paths only label messages: these blobs are read from the source canister.
        blobs: BLOB_KINDS.map((kind) => ({ kind, path: `${req.sourceSnapshotId}/${kind}`, size: sizes[kind] })),
        chunks: metadata.wasmChunkStore.map(({ hash }) => ({ hash, path: `${req.sourceSnapshotId}/chunk` })),
        progress: progress as TransferProgress,
        concurrency: req.concurrency,
        logger,
        retry: req.retry,
        signal,
        progressIntervalMs: req.progressIntervalMs
      },
      canisterSource({ client, ...source, retry: retryOf(req.source.toText(), 'read_canister_snapshot_data'), digests })
    )
  )
  const verified = await logger.group('Verify the copy', () =>
    verifyCopy({ client, source, target, metadata, digests, concurrency: req.concurrency, retry: retryOf(targetId, 'read_canister_snapshot_data') })
  )
  logger.info(
    `Verified ${verified.slicesVerified} slice(s) of ${target.snapshotId} against the source (SHA-256 each; module ${verified.blobSha256.wasmModule}).`
  )
  const done = progress
  // Kept until the load is done: a run killed while loading resumes into this snapshot, all of it sent.
  const forget = async (): Promise<void> => {
    await done.remove()
    await fs.rm(path.join(dir, SOURCE_FILE), { force: true })
  }
  return { snapshotId: target.snapshotId, metadata, stats, verified, resumed, forget }
}
