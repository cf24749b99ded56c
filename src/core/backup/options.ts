/**
 * The typed options of `operation: download` and `operation: upload` and the value rules only
 * backups have (age keys, passphrases, the download selector). The operations' modules read the
 * inputs; secret inputs never appear in a message.
 */
import { Inputs } from '../../constants.js'
import { InputError } from '../errors.js'
import { parseSnapshotId, type SnapshotId } from '../snapshot-id.js'
import type { DecryptionKeys, EncryptionKeys } from './encryption.js'

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

export function parseDownloadSelector(raw: string): DownloadSelector {
  const value = raw.toLowerCase()
  if (value === '' || value === 'latest') return { kind: 'latest' }
  if (value === 'new') return { kind: 'new' }
  return { kind: 'id', id: parseSnapshotId(raw, Inputs.SnapshotId) }
}

/**
 * age recipients (`age1…`), separated by newlines, commas or spaces; `#` starts a comment line.
 * Only split here: `checkRecipients` (age-keys.ts) parses each with age-encryption before any call.
 */
export function parseRecipients(raw: string): string[] {
  return raw
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .split(/[\s,]+/)
    .filter((s) => s !== '')
}

/**
 * age secret keys (`AGE-SECRET-KEY-1…`), one a line, e.g. the content of an `age-keygen` key file
 * (comment lines are skipped). Only split here: `checkIdentities` parses each before any call.
 */
export function parseIdentities(raw: string): string[] {
  return raw
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/**
 * The passphrase a download is encrypted with. age-encryption takes any string (its scrypt work
 * factor is the only cost to an attacker), so the minimum of 12 characters is this project's: a
 * shorter one falls to an offline brute force. A blank one would pass that length check as spaces.
 */
export function checkPassphrase(passphrase: string): string {
  if (passphrase.trim() === '') {
    throw new InputError(Inputs.EncryptPassphrase, 'a passphrase of at least 12 characters, not only spaces (or left empty for no encryption); the value given is blank')
  }
  if (passphrase.length < 12) {
    throw new InputError(Inputs.EncryptPassphrase, 'at least 12 characters long (a passphrase is brute-forced offline otherwise); the value given is too short (not shown)')
  }
  return passphrase
}

/** The passphrase an upload is decrypted with: whatever it was encrypted with, but never blank. */
export function checkDecryptionPassphrase(passphrase: string): string {
  if (passphrase.trim() === '') {
    throw new InputError(Inputs.EncryptPassphrase, 'the passphrase the archive was encrypted with, not only spaces (or left empty when it is not encrypted to a passphrase)')
  }
  return passphrase
}
