/**
 * Checks a backup directory completely before anything is sent to the network: the manifest's size
 * and SHA-256 of every file, the sizes `metadata.json` declares, and each chunk-store file against
 * its name (its SHA-256). Directories written by icp or dfx have no manifest; they get every check
 * except the manifest's.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import pLimit from 'p-limit'
import type { SnapshotMetadata } from '../transfer/client.js'
import { BLOB_KINDS } from '../transfer/slices.js'
import { digestFile } from './file-digest.js'
import { BLOB_FILE_NAMES, blobSizes, chunkFileName, dataFileNames, MANIFEST_FILE, METADATA_FILE } from './layout.js'
import { DAMAGED_BACKUP_FIX, readManifest, type BackupManifest, type ManifestFile } from './manifest.js'
import { MetadataFormatError, parseMetadataJson } from './metadata-json.js'

/** Files checked at once: the blob files (up to three, each in its own thread) and then some. */
const PARALLEL_CHECKS = 4

export class BackupIntegrityError extends Error {
  override name = 'BackupIntegrityError'
  constructor(
    readonly file: string,
    message: string
  ) {
    super(message)
  }
}

export interface VerifiedBackup {
  dir: string
  metadata: SnapshotMetadata
  manifest: BackupManifest | undefined
  /** SHA-256 of the manifest file's text (or of metadata.json when there is none): identifies this backup. */
  fingerprint: string
  files: ManifestFile[]
  totalBytes: number
}

export async function verifyBackupDirectory(dir: string): Promise<VerifiedBackup> {
  const stat = await fs.stat(dir).catch(() => undefined)
  if (stat === undefined || !stat.isDirectory()) throw new BackupIntegrityError(dir, `${dir} is not a directory with a snapshot backup: check the path.`)
  const found = await readManifest(dir)
  const manifest = found?.manifest
  if (manifest !== undefined) {
    if (!manifest.files.some((f) => f.path === METADATA_FILE)) {
      throw new BackupIntegrityError(path.join(dir, MANIFEST_FILE), `${path.join(dir, MANIFEST_FILE)} does not list ${METADATA_FILE}; the manifest was altered: ${DAMAGED_BACKUP_FIX}.`)
    }
    // Side by side (large files hash in their own threads), a few at a time so a chunk store of a
    // hundred files does not open a hundred streams; the first bad file in manifest order is reported.
    const limit = pLimit(PARALLEL_CHECKS)
    const checks = await Promise.allSettled(manifest.files.map((entry) => limit(() => checkAgainstManifest(dir, entry))))
    const bad = checks.find((check) => check.status === 'rejected')
    if (bad !== undefined) throw bad.reason
  }

  const metadataPath = path.join(dir, METADATA_FILE)
  const metadataText = await fs.readFile(metadataPath, 'utf8').catch((error: unknown) => {
    throw new BackupIntegrityError(metadataPath, `${metadataPath} cannot be read (${(error as Error).message}); this is not a snapshot directory: give one written by a snapshot download.`)
  })
  let metadata: SnapshotMetadata
  try {
    metadata = parseMetadataJson(metadataText, metadataPath)
  } catch (error: unknown) {
    if (error instanceof MetadataFormatError) throw new BackupIntegrityError(metadataPath, `${error.message.replace(/\.$/, '')}; ${DAMAGED_BACKUP_FIX}.`)
    throw error
  }

  const sizes = blobSizes(metadata)
  for (const kind of BLOB_KINDS) {
    const file = path.join(dir, BLOB_FILE_NAMES[kind])
    const actual = await fileSize(file)
    // icp writes an empty stable_memory.bin, dfx none at all, when the size is 0.
    if (actual === undefined && sizes[kind] === 0) continue
    if (actual !== sizes[kind]) {
      throw new BackupIntegrityError(
        file,
        `${file} is ${actual === undefined ? 'missing' : `${actual} bytes`} but ${METADATA_FILE} declares ${sizes[kind]} bytes: the backup is truncated or altered; ${DAMAGED_BACKUP_FIX}.`
      )
    }
  }

  const listed = new Map((manifest?.files ?? []).map((f) => [f.path, f]))
  const files: ManifestFile[] = []
  for (const name of dataFileNames(metadata)) {
    const file = path.join(dir, name)
    const known = listed.get(name)
    if (manifest !== undefined && known === undefined) {
      throw new BackupIntegrityError(file, `${file} is not listed in ${MANIFEST_FILE}; the manifest does not match the backup: ${DAMAGED_BACKUP_FIX}.`)
    }
    const entry = known ?? (await digestOptional(file, name))
    if (name.startsWith('wasm_chunk_store/') && `wasm_chunk_store/${entry.sha256}.bin` !== name) {
      throw new BackupIntegrityError(file, `${file} does not hash to its name (SHA-256 ${entry.sha256}): the chunk is corrupted; ${DAMAGED_BACKUP_FIX}.`)
    }
    files.push(entry)
  }
  for (const { hash } of metadata.wasmChunkStore) {
    if ((await fileSize(path.join(dir, chunkFileName(hash)))) === undefined) {
      throw new BackupIntegrityError(path.join(dir, chunkFileName(hash)), `${path.join(dir, chunkFileName(hash))} is missing but ${METADATA_FILE} lists it: ${DAMAGED_BACKUP_FIX}.`)
    }
  }
  return {
    dir,
    metadata,
    manifest,
    fingerprint: found?.sha256 ?? (await digestFile(metadataPath)).sha256,
    files,
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0)
  }
}

async function checkAgainstManifest(dir: string, entry: ManifestFile): Promise<void> {
  const file = path.join(dir, ...entry.path.split('/'))
  const size = await fileSize(file)
  if (size === undefined) throw new BackupIntegrityError(file, `${file} is missing but listed in ${MANIFEST_FILE}: ${DAMAGED_BACKUP_FIX}.`)
  if (size !== entry.bytes) {
    throw new BackupIntegrityError(file, `${file} is ${size} bytes but the manifest says ${entry.bytes}: the file is truncated or altered; ${DAMAGED_BACKUP_FIX}.`)
  }
  const { sha256 } = await digestFile(file)
  if (sha256 !== entry.sha256) {
    throw new BackupIntegrityError(file, `${file} does not match its SHA-256 in the manifest (expected ${entry.sha256}, got ${sha256}): the file is corrupted or altered; ${DAMAGED_BACKUP_FIX}.`)
  }
}

async function digestOptional(file: string, name: string): Promise<ManifestFile> {
  if ((await fileSize(file)) === undefined) return { path: name, bytes: 0, sha256: EMPTY_SHA256 }
  const { sha256, bytes } = await digestFile(file)
  return { path: name, bytes, sha256 }
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

async function fileSize(file: string): Promise<number | undefined> {
  const stat = await fs.stat(file).catch(() => undefined)
  return stat?.isFile() === true ? stat.size : undefined
}
