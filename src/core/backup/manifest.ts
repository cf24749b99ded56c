/**
 * This tool's record of a backup: where it came from and the size and SHA-256 of every file, so a
 * restore can refuse a corrupted or truncated backup before it touches the network.
 */
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { MANIFEST_FILE } from './layout.js'
import { readTextIfExists } from '../read-if-exists.js'

export const MANIFEST_FORMAT = 'canister-snapshot-backup'
export const MANIFEST_VERSION = 1

export interface ManifestFile {
  /** Relative, `/`-separated. */
  path: string
  bytes: number
  sha256: string
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT
  version: typeof MANIFEST_VERSION
  tool: { name: string; version: string }
  canister: string
  snapshotId: string
  /** `ic`, `local` or the URL the snapshot was downloaded from. */
  network: string
  /** ISO 8601 of the snapshot's `taken_at_timestamp`. */
  takenAt: string
  /** The exact nanosecond timestamp, as a decimal string. */
  takenAtTimestampNs: string
  createdAt: string
  totalBytes: number
  files: ManifestFile[]
}

export class ManifestError extends Error {
  override name = 'ManifestError'
}

export function renderManifest(manifest: BackupManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE)
  await fs.writeFile(`${file}.tmp`, renderManifest(manifest))
  await fs.rename(`${file}.tmp`, file)
}

/** What to do about a damaged backup: its bytes cannot be repaired here, only replaced. */
export const DAMAGED_BACKUP_FIX = 'download the backup again or use another copy'

/** The manifest in `dir`, or `undefined` for a directory written by icp or dfx (which has none). */
export async function readManifest(dir: string): Promise<{ manifest: BackupManifest; sha256: string } | undefined> {
  const file = path.join(dir, MANIFEST_FILE)
  const text = await readTextIfExists(file)
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ManifestError(`${file} is not valid JSON: the backup manifest was altered or truncated; ${DAMAGED_BACKUP_FIX}.`)
  }
  return { manifest: validateManifest(value, file), sha256: createHash('sha256').update(text).digest('hex') }
}

function validateManifest(value: unknown, file: string): BackupManifest {
  const m = value as Partial<BackupManifest>
  const bad = (what: string): never => {
    throw new ManifestError(`${file}: ${what}; the backup manifest was altered or is not from this tool: ${DAMAGED_BACKUP_FIX}.`)
  }
  if (typeof m !== 'object' || m === null) return bad('not an object')
  if (m.format !== MANIFEST_FORMAT || m.version !== MANIFEST_VERSION) bad(`unknown format (expected ${MANIFEST_FORMAT} version ${MANIFEST_VERSION})`)
  for (const key of ['canister', 'snapshotId', 'network', 'takenAt', 'takenAtTimestampNs', 'createdAt'] as const) {
    if (typeof m[key] !== 'string') bad(`'${key}' is missing`)
  }
  if (!Array.isArray(m.files) || m.files.length === 0) return bad("'files' is missing")
  const seen = new Set<string>()
  for (const f of m.files) {
    const entry = f as Partial<ManifestFile>
    if (
      typeof entry.path !== 'string' ||
      typeof entry.bytes !== 'number' ||
      !Number.isSafeInteger(entry.bytes) ||
      entry.bytes < 0 ||
      typeof entry.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(entry.sha256)
    ) {
      bad(`a file entry is malformed (${JSON.stringify(f)?.slice(0, 120)})`)
    }
    const p = entry.path as string
    if (path.posix.isAbsolute(p) || p.split('/').includes('..') || seen.has(p)) bad(`file path '${p}' is not allowed`)
    seen.add(p)
  }
  return m as BackupManifest
}
