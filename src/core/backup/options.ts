/**
 * The inputs of `operation: download` and `operation: upload`, parsed once into typed options.
 * `read(name)` returns the raw input ('' when unset), as for the other operations' parser. Each
 * error names the input and the accepted form; secret inputs never appear in a message.
 *
 * Secrets: `encrypt-passphrase` and `decrypt-identity` must be masked by the caller before this runs.
 */
import { InputError } from '../errors.js'
import { parseSnapshotId, type SnapshotId } from '../snapshot-id.js'
import type { DecryptionKeys, EncryptionKeys } from './encryption.js'

export const BackupInputs = {
  SnapshotId: 'snapshot-id',
  Path: 'path',
  Archive: 'archive',
  EncryptRecipients: 'encrypt-recipients',
  EncryptPassphrase: 'encrypt-passphrase',
  DecryptIdentity: 'decrypt-identity',
  Concurrency: 'concurrency',
  Load: 'load',
  Replace: 'replace',
  Resume: 'resume'
} as const

/** Which snapshot to download. */
export type DownloadSelector = { kind: 'latest' } | { kind: 'new' } | { kind: 'id'; id: SnapshotId }

export interface DownloadOptions {
  snapshot: DownloadSelector
  /** Directory to write the snapshot into. */
  path: string
  archive: boolean
  encryption: EncryptionKeys | undefined
  /** Slice calls in flight at once. */
  concurrency: number
  resume: boolean
}

export interface UploadOptions {
  /** A backup directory, or a `.tar` / `.tar.age` archive. */
  path: string
  decryption: DecryptionKeys | undefined
  replace: SnapshotId | undefined
  load: boolean
  concurrency: number
  resume: boolean
}

/**
 * Slices in flight by default. A transfer is bound by round trips (300 ms on the benchmark's model
 * network, 1–2 s on mainnet), so each slice in flight adds 2 MB per round trip; 16 is the fair
 * network cap the benchmark models, and each in-flight slice costs a few MB of buffers.
 */
export const DEFAULT_TRANSFER_CONCURRENCY = 16
const MAX_TRANSFER_CONCURRENCY = 64

type Read = (name: string) => string

export function parseDownloadOptions(read: Read): DownloadOptions {
  const get = (name: string): string => read(name).trim()
  forbid(get, BackupInputs.DecryptIdentity, 'download', `use '${BackupInputs.EncryptRecipients}' to encrypt a download`)
  forbid(get, BackupInputs.Load, 'download')
  const recipients = parseRecipients(get(BackupInputs.EncryptRecipients))
  const passphrase = read(BackupInputs.EncryptPassphrase)
  if (recipients.length > 0 && passphrase !== '') {
    throw new InputError(BackupInputs.EncryptPassphrase, `left empty when '${BackupInputs.EncryptRecipients}' is set (age encrypts to recipients or to a passphrase, not both)`)
  }
  const encryption: EncryptionKeys | undefined =
    recipients.length > 0 ? { recipients } : passphrase !== '' ? { passphrase: checkPassphrase(passphrase) } : undefined
  const archiveRaw = get(BackupInputs.Archive)
  const archive = parseBool(archiveRaw, BackupInputs.Archive, encryption !== undefined)
  if (encryption !== undefined && !archive) {
    throw new InputError(BackupInputs.Archive, `'true' (or unset) when encrypting: encryption applies to the archive`, archiveRaw)
  }
  return {
    snapshot: parseDownloadSelector(get(BackupInputs.SnapshotId)),
    path: parsePath(get(BackupInputs.Path), 'a directory to write the snapshot into, e.g. `backup`'),
    archive,
    encryption,
    concurrency: parseConcurrency(get(BackupInputs.Concurrency)),
    resume: parseBool(get(BackupInputs.Resume), BackupInputs.Resume, false)
  }
}

export function parseUploadOptions(read: Read): UploadOptions {
  const get = (name: string): string => read(name).trim()
  forbid(get, BackupInputs.EncryptRecipients, 'upload', `use '${BackupInputs.DecryptIdentity}' with the matching age secret key`)
  forbid(get, BackupInputs.SnapshotId, 'upload', `the uploaded snapshot gets a new ID; use '${BackupInputs.Replace}' to rotate an old one out`)
  const identities = parseIdentities(read(BackupInputs.DecryptIdentity))
  const passphrase = read(BackupInputs.EncryptPassphrase)
  if (identities.length > 0 && passphrase !== '') {
    throw new InputError(BackupInputs.EncryptPassphrase, `left empty when '${BackupInputs.DecryptIdentity}' is set`)
  }
  const replaceRaw = get(BackupInputs.Replace)
  return {
    path: parsePath(get(BackupInputs.Path), 'a backup directory or a `.tar` / `.tar.age` archive written by `operation: download` or `icp canister snapshot download`'),
    decryption: identities.length > 0 ? { identities } : passphrase !== '' ? { passphrase } : undefined,
    replace: replaceRaw === '' ? undefined : parseSnapshotId(replaceRaw, BackupInputs.Replace),
    load: parseBool(get(BackupInputs.Load), BackupInputs.Load, false),
    concurrency: parseConcurrency(get(BackupInputs.Concurrency)),
    resume: parseBool(get(BackupInputs.Resume), BackupInputs.Resume, false)
  }
}

export function parseDownloadSelector(raw: string): DownloadSelector {
  const value = raw.toLowerCase()
  if (value === '' || value === 'latest') return { kind: 'latest' }
  if (value === 'new') return { kind: 'new' }
  return { kind: 'id', id: parseSnapshotId(raw, BackupInputs.SnapshotId) }
}

/** age recipients (`age1…`), separated by newlines, commas or spaces; `#` starts a comment line. */
export function parseRecipients(raw: string): string[] {
  const items = raw
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .split(/[\s,]+/)
    .filter((s) => s !== '')
  for (const item of items) {
    if (!/^age1[0-9a-z]+$/.test(item)) {
      throw new InputError(BackupInputs.EncryptRecipients, 'age public keys (`age1…`, as printed by `age-keygen -y`), one per line', item)
    }
  }
  return items
}

/**
 * age secret keys (`AGE-SECRET-KEY-1…`), e.g. the content of an `age-keygen` key file (comment
 * lines are skipped). The value is a secret, so errors never echo it.
 */
export function parseIdentities(raw: string): string[] {
  const items = raw
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  for (const item of items) {
    if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(item)) {
      throw new InputError(BackupInputs.DecryptIdentity, 'age secret keys (`AGE-SECRET-KEY-1…`, the content of an `age-keygen` key file); the value given is not one (not shown: it is a secret)')
    }
  }
  return items
}

function checkPassphrase(passphrase: string): string {
  if (passphrase.length < 12) {
    throw new InputError(BackupInputs.EncryptPassphrase, 'at least 12 characters long (a passphrase is brute-forced offline otherwise); the value given is too short (not shown)')
  }
  return passphrase
}

function parseConcurrency(raw: string): number {
  if (raw === '') return DEFAULT_TRANSFER_CONCURRENCY
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > MAX_TRANSFER_CONCURRENCY) {
    throw new InputError(BackupInputs.Concurrency, `an integer from 1 to ${MAX_TRANSFER_CONCURRENCY} (slice calls in flight at once)`, raw)
  }
  return n
}

function parsePath(raw: string, accepted: string): string {
  if (raw === '') throw new InputError(BackupInputs.Path, accepted)
  if (raw.includes('\0')) throw new InputError(BackupInputs.Path, accepted, raw)
  return raw
}

function parseBool(raw: string, input: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  if (/^(true|True|TRUE)$/.test(raw)) return true
  if (/^(false|False|FALSE)$/.test(raw)) return false
  throw new InputError(input, '`true` or `false`', raw)
}

function forbid(get: (name: string) => string, input: string, operation: string, hint?: string): void {
  if (get(input) !== '') {
    throw new InputError(input, `empty for 'operation: ${operation}'${hint === undefined ? '' : ` (${hint})`}`)
  }
}
