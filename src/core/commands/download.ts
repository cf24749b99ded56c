/**
 * download: pick the snapshot (an ID, `latest`, or `new` = take one with the safe snapshot
 * sequence) → read its metadata → write `metadata.json` → transfer every blob and chunk into the
 * icp/dfx directory layout (resumable) → check sizes and chunk hashes → write the manifest with the
 * SHA-256 of every file → optionally pack it into one `.tar`, encrypted with age.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_metadata
 */
import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { Principal } from '@icp-sdk/core/principal'
import { defaultArchivePath, writeArchive } from '../backup/archive.js'
import { digestFile } from '../backup/file-digest.js'
import {
  BLOB_FILE_NAMES,
  blobFiles,
  blobSizes,
  CHUNK_STORE_DIR,
  chunkFiles,
  dataFileNames,
  MANIFEST_FILE,
  METADATA_FILE,
  PROGRESS_FILE
} from '../backup/layout.js'
import { renderManifest, writeManifest, MANIFEST_FORMAT, MANIFEST_VERSION, type BackupManifest, type ManifestFile } from '../backup/manifest.js'
import { renderMetadataJson } from '../backup/metadata-json.js'
import type { DownloadOptions } from '../backup/options.js'
import { BackupIntegrityError } from '../backup/verify.js'
import { errorOfRow, SnapshotActionError } from '../errors.js'
import { assertSnapshotOwner, type SnapshotId } from '../snapshot-id.js'
import { downloadSnapshotData } from '../transfer/download.js'
import { TransferProgress } from '../transfer/progress-file.js'
import { ReadAhead } from '../transfer/read-ahead.js'
import { withRetry, type RetryPolicy } from '../retry.js'
import { BLOB_KINDS, type BlobKind } from '../transfer/slices.js'
import type { TransferStats } from '../transfer/types.js'
import { runSnapshot } from './snapshot.js'
import { nsToIso, type CommandContext } from './types.js'

export interface DownloadRequest extends DownloadOptions {
  operation: 'download'
  canister: Principal
  /** For `snapshot-id: new`: stop the canister for a consistent snapshot (and restart it). */
  stop: boolean
  stopTimeoutSeconds: number
  /** Recorded in the manifest: `ic`, `local` or the URL. */
  network: string
  tool: { name: string; version: string }
  /** Tests tune backoff; defaults suit a real network. */
  retry?: RetryPolicy
  progressIntervalMs?: number
}

export interface BackupResult {
  operation: 'download' | 'upload'
  canisterId: string
  snapshotId: SnapshotId
  /** The backup directory, or the archive when one was written. */
  path: string
  /** Directory used for the data files (same as `path` unless an archive was written or read). */
  directory: string
  /** Size of `path`: the archive's size, or the sum of the data files. */
  bytes: number
  /** SHA-256 of `path` when it is a file; of the manifest when it is a directory. */
  sha256: string
  takenAt: string
  stats: TransferStats
  /** Wall time of the whole operation. */
  durationMs: number
  /** upload with `load: true`: the module hash after the load. */
  moduleHash?: string
}

export async function runDownload(ctx: CommandContext, req: DownloadRequest): Promise<BackupResult> {
  const { client, logger } = ctx
  const started = Date.now()
  const canisterId = req.canister.toText()
  const dir = path.resolve(req.path)

  const interrupted = await prepareDirectory(dir, req.resume)
  // Every call of the step ends when the step's budget does, one that never answers included.
  const signal = ctx.deadline.signal(`Downloading a snapshot of ${canisterId}`)
  // Every slice in flight may wait on this signal during a backoff.
  setMaxListeners(0, signal)
  const snapshotId = await resolveSnapshot(ctx, req, signal)
  // A resumed download has its first slices on disk already; reading them ahead would waste the calls.
  const readAhead = interrupted ? undefined : new ReadAhead({ client, canisterId: req.canister, snapshotId, slots: req.concurrency - 1, signal })

  const metadata = await withRetry(() => client.readCanisterSnapshotMetadata({ canisterId: req.canister, snapshotId }), {
    canisterId,
    method: 'read_canister_snapshot_metadata',
    idempotent: true,
    policy: req.retry,
    signal
  })
  const metadataText = renderMetadataJson(metadata)
  const metadataPath = path.join(dir, METADATA_FILE)
  const existing = await fs.readFile(metadataPath, 'utf8').catch(() => undefined)
  if (existing !== undefined && existing !== metadataText) {
    throw new SnapshotActionError(`${metadataPath} describes another snapshot than ${snapshotId}; choose an empty 'path' or delete the directory.`)
  }
  if (existing === undefined) await fs.writeFile(metadataPath, metadataText)
  // icp creates the chunk-store directory even when the store is empty; so do we.
  await fs.mkdir(path.join(dir, CHUNK_STORE_DIR), { recursive: true })
  const fingerprint = createHash('sha256').update(metadataText).digest('hex')
  const identity = { operation: 'download' as const, canisterId, snapshotId, fingerprint }
  const sizes = blobSizes(metadata)
  const progress = (req.resume ? await TransferProgress.load(dir, identity, sizes) : undefined) ?? TransferProgress.fresh(dir, identity, sizes)

  const total = Object.values(sizes).reduce((a, b) => a + b, 0)
  logger.info(`Downloading snapshot ${snapshotId} of ${canisterId} (${total} bytes, ${metadata.wasmChunkStore.length} chunk(s)) to ${dir}.`)
  const { stats, blobSha256 } = await logger.group('Download snapshot data', () =>
    downloadSnapshotData({
      client,
      canisterId: req.canister,
      snapshotId,
      blobs: blobFiles(dir, metadata),
      chunks: chunkFiles(dir, metadata),
      progress,
      concurrency: req.concurrency,
      logger,
      retry: req.retry,
      signal,
      progressIntervalMs: req.progressIntervalMs,
      readAhead
    })
  )

  const known = new Map([...blobSha256].map(([kind, sha256]) => [BLOB_FILE_NAMES[kind], sha256]))
  const files = await logger.group('Check the files', () => digestAll(dir, dataFileNames(metadata), known))
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    tool: req.tool,
    canister: canisterId,
    snapshotId,
    network: req.network,
    takenAt: nsToIso(metadata.takenAtTimestamp),
    takenAtTimestampNs: metadata.takenAtTimestamp.toString(),
    createdAt: new Date().toISOString(),
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files
  }
  checkDownloadedFiles(dir, files, sizes)
  await writeManifest(dir, manifest)
  const verified = { totalBytes: manifest.totalBytes, fingerprint: createHash('sha256').update(renderManifest(manifest)).digest('hex') }
  await progress.remove()

  const result = {
    operation: 'download' as const,
    canisterId,
    snapshotId,
    directory: dir,
    takenAt: manifest.takenAt,
    stats
  }
  if (!req.archive) {
    logger.info(`Snapshot ${snapshotId} saved to ${dir} (${verified.totalBytes} bytes, manifest SHA-256 ${verified.fingerprint}).`)
    return { ...result, path: dir, bytes: verified.totalBytes, sha256: verified.fingerprint, durationMs: Date.now() - started }
  }
  const archivePath = defaultArchivePath(dir, req.encryption !== undefined)
  await logger.group(req.encryption === undefined ? 'Archive' : 'Archive and encrypt', () =>
    writeArchive(dir, [MANIFEST_FILE, ...dataFileNames(metadata)], archivePath, req.encryption)
  )
  const archive = await digestFile(archivePath)
  logger.info(`Snapshot ${snapshotId} archived to ${archivePath} (${archive.bytes} bytes, SHA-256 ${archive.sha256}${req.encryption === undefined ? '' : ', age-encrypted'}).`)
  return { ...result, path: archivePath, bytes: archive.bytes, sha256: archive.sha256, durationMs: Date.now() - started }
}

/** Without `resume` the directory must be empty (or absent), as icp and dfx require. */
/** Creates the directory, refuses a non-empty one unless resuming; true when it holds an interrupted download. */
async function prepareDirectory(dir: string, resume: boolean): Promise<boolean> {
  await fs.mkdir(dir, { recursive: true })
  const entries = await fs.readdir(dir)
  const interrupted = entries.includes(PROGRESS_FILE)
  if (resume || entries.length === 0) return interrupted
  const hint = interrupted ? ` It holds an interrupted download: set 'resume: true' to continue it.` : ''
  throw new SnapshotActionError(`Directory ${dir} is not empty; choose an empty 'path'.${hint}`)
}

async function resolveSnapshot(ctx: CommandContext, req: DownloadRequest, signal: AbortSignal): Promise<SnapshotId> {
  const canisterId = req.canister.toText()
  switch (req.snapshot.kind) {
    case 'id':
      assertSnapshotOwner(req.snapshot.id, canisterId)
      return req.snapshot.id
    case 'latest': {
      const existing = await withRetry(() => ctx.client.listSnapshots(req.canister), {
        canisterId,
        method: 'list_canister_snapshots',
        idempotent: true,
        policy: req.retry,
        signal
      })
      const newest = existing.at(-1)
      if (newest === undefined) {
        throw new SnapshotActionError(`Canister ${canisterId} has no snapshot to download; use 'snapshot-id: new' to take one first.`)
      }
      ctx.logger.info(`Latest snapshot of ${canisterId}: ${newest.id}, taken at ${nsToIso(newest.takenAtNs)}.`)
      return newest.id
    }
    case 'new': {
      const taken = await runSnapshot(ctx, {
        operation: 'snapshot',
        canisters: [req.canister],
        replace: [],
        stop: req.stop,
        stopTimeoutSeconds: req.stopTimeoutSeconds,
        dryRun: false,
        purpose: 'download (snapshot-id: new)'
      })
      const outcome = taken.results[0]
      if (outcome === undefined || outcome.outcome !== 'ok' || outcome.snapshotId === undefined) {
        // Thrown with its class: a stop timeout, no cycles or an outage each call for something else.
        throw errorOfRow(outcome, `Taking a snapshot of ${canisterId} failed.`)
      }
      return outcome.snapshotId
    }
  }
}

/** Sizes and SHA-256 of the data files; blob files were hashed during the transfer (`known`). */
async function digestAll(dir: string, names: string[], known: ReadonlyMap<string, string>): Promise<ManifestFile[]> {
  const files: ManifestFile[] = []
  for (const name of names) {
    const file = path.join(dir, ...name.split('/'))
    const missing = (error: unknown): never => {
      throw new BackupIntegrityError(file, `${file} is missing after the download (${(error as Error).message}).`)
    }
    const sha256 = known.get(name)
    const digest = sha256 === undefined ? await digestFile(file).catch(missing) : { sha256, bytes: (await fs.stat(file).catch(missing)).size }
    files.push({ path: name, ...digest })
  }
  return files
}

/** The final check: every blob has the size the metadata declares, every chunk hashes to its name. */
function checkDownloadedFiles(dir: string, files: ManifestFile[], sizes: Record<BlobKind, number>): void {
  for (const f of files) {
    const file = path.join(dir, ...f.path.split('/'))
    const kind = BLOB_KINDS.find((k) => BLOB_FILE_NAMES[k] === f.path)
    if (kind !== undefined && f.bytes !== sizes[kind]) {
      throw new BackupIntegrityError(file, `${file} is ${f.bytes} bytes after the download, expected ${sizes[kind]}; run again with 'resume: true'.`)
    }
    if (f.path.startsWith(`${CHUNK_STORE_DIR}/`) && f.path !== `${CHUNK_STORE_DIR}/${f.sha256}.bin`) {
      throw new BackupIntegrityError(file, `${file} does not hash to its name after the download; delete it and run again with 'resume: true'.`)
    }
  }
}
