/** `operation: download`: a snapshot into a directory (or an archive) that dfx and icp can read. */
import { Inputs, TOOL } from '../../constants.js'
import {
  checkPassphrase,
  DEFAULT_TRANSFER_CONCURRENCY,
  parseDownloadSelector,
  parseRecipients,
  type DownloadOptions
} from '../backup/options.js'
import { checkRecipients } from '../backup/age-keys.js'
import type { EncryptionKeys } from '../backup/encryption.js'
import { runDownload, type DownloadRequest } from '../commands/download.js'
import { InputError } from '../errors.js'
import { parseConcurrency, parseStopTimeout, readBoolean, stopInput, stopTimeoutInput } from '../inputs/common.js'
import { forbid, parsePath, type ReadInput } from '../inputs/values.js'
import { backupResult } from './backup.js'
import type { OperationSpec, RequestBase } from './types.js'

export type DownloadOperationRequest = RequestBase<'download'> & Omit<DownloadRequest, 'operation' | 'canister'>

export const download: OperationSpec<DownloadOperationRequest> = {
  name: 'download',
  summary: 'download a snapshot into a directory (or an archive) that dfx and icp can read',
  canisters: 'one',
  defaultConcurrency: DEFAULT_TRANSFER_CONCURRENCY,
  inputs: [
    { name: Inputs.SnapshotId, type: 'string', default: 'latest', value: 'id', description: "snapshot ID, 'latest' or 'new'" },
    { name: Inputs.Path, type: 'string', required: true, value: 'dir', description: 'directory to write' },
    { name: Inputs.Archive, type: 'boolean', description: 'write one .tar file' },
    { name: Inputs.EncryptRecipients, type: 'string', value: 'keys', description: 'age public keys to encrypt the archive to' },
    { name: Inputs.EncryptPassphrase, type: 'string', secret: true, description: 'age passphrase to encrypt the archive with' },
    stopInput("with 'new': snapshot while running"),
    stopTimeoutInput("with 'new': budget for stopping"),
    { name: Inputs.Resume, type: 'boolean', default: 'false', description: 'continue an interrupted download' }
  ],
  parse(read, common) {
    const stopTimeoutSeconds = parseStopTimeout(read)
    return {
      operation: 'download',
      ...parseDownloadOptions(read),
      stop: readBoolean(read, Inputs.Stop, true),
      stopTimeoutSeconds,
      network: common.networkName,
      tool: TOOL
    }
  },
  check: async ({ encryption }) => {
    if (encryption !== undefined && 'recipients' in encryption) await checkRecipients(encryption.recipients)
  },
  run: (ctx, req) => backupResult(ctx, req, (request) => runDownload(ctx, request))
}

export function parseDownloadOptions(read: ReadInput): DownloadOptions {
  forbid(read, Inputs.DecryptIdentity, 'download', `use '${Inputs.EncryptRecipients}' to encrypt a download`)
  forbid(read, Inputs.Load, 'download')
  const recipients = parseRecipients(read(Inputs.EncryptRecipients).trim())
  const passphrase = read(Inputs.EncryptPassphrase)
  if (recipients.length > 0 && passphrase !== '') {
    throw new InputError(Inputs.EncryptPassphrase, `left empty when '${Inputs.EncryptRecipients}' is set (age encrypts to recipients or to a passphrase, not both)`)
  }
  const encryption: EncryptionKeys | undefined =
    recipients.length > 0 ? { recipients } : passphrase !== '' ? { passphrase: checkPassphrase(passphrase) } : undefined
  const archive = readBoolean(read, Inputs.Archive, encryption !== undefined)
  if (encryption !== undefined && !archive) {
    throw new InputError(Inputs.Archive, `'true' (or unset) when encrypting: encryption applies to the archive`, read(Inputs.Archive).trim())
  }
  return {
    snapshot: parseDownloadSelector(read(Inputs.SnapshotId).trim()),
    path: parsePath(read(Inputs.Path).trim(), Inputs.Path, 'a directory to write the snapshot into, e.g. `backup`'),
    archive,
    encryption,
    concurrency: parseConcurrency(read, DEFAULT_TRANSFER_CONCURRENCY),
    resume: readBoolean(read, Inputs.Resume, false)
  }
}
