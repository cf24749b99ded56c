/**
 * upload: open the backup (extract and decrypt an archive) → verify every file against the
 * manifest and `metadata.json` before the first network call → `upload_canister_snapshot_metadata`
 * (with `replace`) → upload every blob and chunk (resumable) → check the new snapshot's metadata →
 * optionally load it with the safe rollback sequence (stop → load → start). The target may be a
 * different canister than the backup's source (restore drills, migrations).
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-upload_canister_snapshot_metadata
 */
import { setMaxListeners } from 'node:events'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { Principal } from '@icp-sdk/core/principal'
import { extractArchive } from '../backup/archive.js'
import { digestFile } from '../backup/file-digest.js'
import { blobFiles, blobSizes, chunkFiles } from '../backup/layout.js'
import type { UploadOptions } from '../backup/options.js'
import { verifyBackupDirectory, type VerifiedBackup } from '../backup/verify.js'
import { errorOfRow, SnapshotActionError } from '../errors.js'
import { assertSnapshotOwner, snapshotIdToHex, type SnapshotId } from '../snapshot-id.js'
import { preflightStatusAndSnapshots } from '../phases/lifecycle.js'
import { preflightAll } from '../phases/preflight.js'
import { sameShape, type SnapshotMetadata } from '../transfer/client.js'
import { TransferProgress } from '../transfer/progress-file.js'
import { withRetry, type RetryPolicy } from '../retry.js'
import { uploadSnapshotData } from '../transfer/upload.js'
import type { BackupResult } from './download.js'
import { runRollback } from './rollback.js'
import { nsToIso, type CommandContext } from './types.js'

export interface UploadRequest extends UploadOptions {
  operation: 'upload'
  /** The canister that receives the snapshot (need not be the one it was taken from). */
  canister: Principal
  stopTimeoutSeconds: number
  retry?: RetryPolicy
  progressIntervalMs?: number
}

/** Where an archive is extracted: beside it, so an interrupted upload resumes from the same files. */
export function extractionDirectory(archivePath: string): string {
  return `${archivePath.replace(/\.tar(\.age)?$/, '')}.restore`
}

export async function runUpload(ctx: CommandContext, req: UploadRequest): Promise<BackupResult> {
  const { client, logger } = ctx
  const started = Date.now()
  const canisterId = req.canister.toText()
  const source = path.resolve(req.path)
  const stat = await fs.stat(source).catch(() => undefined)
  if (stat === undefined) throw new SnapshotActionError(`Input 'path' names ${source}, which does not exist.`)

  let dir = source
  let archive: { sha256: string; bytes: number } | undefined
  if (stat.isFile()) {
    dir = extractionDirectory(source)
    await logger.group('Open the archive', async () => {
      await extractArchive(source, dir, req.decryption)
      archive = await digestFile(source)
    })
  }
  const backup = await logger.group('Verify the backup', () => verifyBackupDirectory(dir))
  describe(logger, backup, canisterId)
  if (req.replace !== undefined) assertSnapshotOwner(req.replace, canisterId)
  // The backup is judged first, without a network call; then only a controller may upload: a
  // snapshot viewer or a stranger learns it before a snapshot is created on the canister.
  const checked = await preflightAll([req.canister], 'upload', ctx, (c) => preflightStatusAndSnapshots(client, c, 'upload'))
  if (!checked.ok) throw errorOfRow(checked.results[0], `Checking canister ${canisterId} failed.`)

  // Every call of the step ends when the step's budget does, one that never answers included.
  const signal = ctx.deadline.signal(`Uploading the snapshot to ${canisterId}`)
  // Every slice in flight may wait on this signal during a backoff.
  setMaxListeners(0, signal)
  const sizes = blobSizes(backup.metadata)
  const expected = { operation: 'upload' as const, canisterId, fingerprint: backup.fingerprint }
  let progress = req.resume ? await TransferProgress.load(dir, expected, sizes) : undefined
  if (progress !== undefined) {
    logger.info(`Resuming the upload into snapshot ${progress.identity.snapshotId}.`)
  } else {
    const { snapshot_id } = await withRetry(
      () =>
        client.uploadCanisterSnapshotMetadata({
          canisterId: req.canister,
          ...(req.replace === undefined ? {} : { snapshotId: req.replace }),
          metadata: uploadMetadataOf(backup.metadata)
        }),
      // A lost response may hide a created snapshot, so only refusals before execution are retried.
      { canisterId, method: 'upload_canister_snapshot_metadata', idempotent: false, policy: req.retry, signal }
    )
    const snapshotId = snapshotIdToHex(snapshot_id)
    logger.info(`Created snapshot ${snapshotId} on ${canisterId} from the uploaded metadata${req.replace === undefined ? '' : ` (replacing ${req.replace})`}.`)
    progress = TransferProgress.fresh(dir, { ...expected, snapshotId }, sizes)
    // Recorded at once: a run interrupted from here on resumes into this snapshot.
    await progress.save()
  }
  const snapshotId = progress.identity.snapshotId

  // The check needs only the sizes (fixed by the metadata) and the chunk store, which goes first:
  // it runs while the slices move instead of adding a round trip after them.
  let check: Promise<void> | undefined
  const startCheck = (): Promise<void> => {
    if (check === undefined) {
      check = checkUploaded(ctx, req, snapshotId, backup.metadata, signal)
      // Awaited below; a data failure first must not leave this rejection unhandled.
      check.catch(() => undefined)
    }
    return check
  }
  const stats = await logger.group('Upload snapshot data', () =>
    uploadSnapshotData({
      client,
      canisterId: req.canister,
      snapshotId,
      blobs: blobFiles(dir, backup.metadata),
      chunks: chunkFiles(dir, backup.metadata),
      progress: progress as TransferProgress,
      concurrency: req.concurrency,
      logger,
      retry: req.retry,
      signal,
      progressIntervalMs: req.progressIntervalMs,
      onChunksUploaded: () => void startCheck()
    })
  )

  await startCheck()
  await progress.remove()
  logger.info(`Snapshot ${snapshotId} uploaded to ${canisterId}.`)

  let moduleHash: string | undefined
  if (req.load) {
    const rolled = await runRollback(ctx, {
      operation: 'rollback',
      canisters: [req.canister],
      snapshot: { kind: 'ids', ids: [snapshotId] },
      safetySnapshot: false,
      stopTimeoutSeconds: req.stopTimeoutSeconds,
      dryRun: false
    })
    const outcome = rolled.results[0]
    if (outcome === undefined || outcome.outcome !== 'ok') {
      // Thrown with the load's error class (stop timeout, no cycles, outage…), so callers can tell them apart.
      throw errorOfRow(outcome, 'no result', (m) => `Snapshot ${snapshotId} was uploaded to ${canisterId} but loading it failed: ${m}`)
    }
    moduleHash = outcome.moduleHash
  }

  return {
    operation: 'upload',
    canisterId,
    snapshotId,
    path: archive === undefined ? dir : source,
    directory: dir,
    bytes: archive?.bytes ?? backup.totalBytes,
    sha256: archive?.sha256 ?? backup.fingerprint,
    takenAt: nsToIso(backup.metadata.takenAtTimestamp),
    stats,
    durationMs: Date.now() - started,
    ...(moduleHash === undefined ? {} : { moduleHash })
  }
}

export function uploadMetadataOf(meta: SnapshotMetadata) {
  return {
    globals: meta.globals,
    certifiedData: meta.certifiedData,
    wasmModuleSize: meta.wasmModuleSize,
    wasmMemorySize: meta.wasmMemorySize,
    stableMemorySize: meta.stableMemorySize,
    ...(meta.globalTimer === undefined ? {} : { globalTimer: meta.globalTimer }),
    ...(meta.onLowWasmMemoryHookStatus === undefined ? {} : { onLowWasmMemoryHookStatus: meta.onLowWasmMemoryHookStatus })
  }
}

/** Reads the new snapshot's metadata back: sizes and chunk store must be what was uploaded. */
async function checkUploaded(ctx: CommandContext, req: UploadRequest, snapshotId: SnapshotId, local: SnapshotMetadata, signal: AbortSignal): Promise<void> {
  const canisterId = req.canister.toText()
  const remote = await withRetry(() => ctx.client.readCanisterSnapshotMetadata({ canisterId: req.canister, snapshotId }), {
    canisterId,
    method: 'read_canister_snapshot_metadata',
    idempotent: true,
    policy: req.retry,
    signal
  })
  if (!sameShape(remote, local)) {
    throw new SnapshotActionError(
      `Snapshot ${snapshotId} on ${canisterId} does not match the backup after the upload (sizes or chunk store differ); delete it and upload again.`
    )
  }
}

function describe(logger: CommandContext['logger'], backup: VerifiedBackup, target: string): void {
  const from = backup.manifest === undefined ? 'a directory without manifest (icp/dfx download)' : `canister ${backup.manifest.canister}, snapshot ${backup.manifest.snapshotId}`
  logger.info(`Backup verified: ${backup.totalBytes} bytes from ${from}, taken at ${nsToIso(backup.metadata.takenAtTimestamp)}; uploading to ${target}.`)
}
