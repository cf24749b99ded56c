/** `operation: upload`: a downloaded snapshot (directory or archive) as a new snapshot, optionally loaded. */
import { Inputs } from '../../constants.js'
import { checkIdentities } from '../backup/age-keys.js'
import { checkDecryptionPassphrase, DEFAULT_TRANSFER_CONCURRENCY, parseIdentities, type UploadOptions } from '../backup/options.js'
import type { UploadRequest } from '../commands/upload.js'
import { runUpload } from '../commands/upload.js'
import { InputError } from '../errors.js'
import { parseConcurrency, parseStopTimeout, readBoolean, replaceInput, stopTimeoutInput } from '../inputs/common.js'
import { forbid, parsePath, type ReadInput } from '../inputs/values.js'
import { parseSnapshotId } from '../snapshot-id.js'
import { backupResult } from './backup.js'
import type { OperationSpec, RequestBase } from './types.js'

export type UploadOperationRequest = RequestBase<'upload'> & Omit<UploadRequest, 'operation' | 'canister'>

export const upload: OperationSpec<UploadOperationRequest> = {
  name: 'upload',
  summary: 'upload a downloaded snapshot (directory or archive) as a new snapshot',
  canisters: 'one',
  defaultConcurrency: DEFAULT_TRANSFER_CONCURRENCY,
  inputs: [
    { name: Inputs.Path, type: 'string', required: true, value: 'path', description: 'backup directory or .tar / .tar.age archive' },
    replaceInput,
    { name: Inputs.DecryptIdentity, type: 'string', secret: true, description: 'age identity (secret key) to decrypt the archive with' },
    { name: Inputs.EncryptPassphrase, type: 'string', secret: true, description: 'age passphrase the archive was encrypted with' },
    { name: Inputs.Load, type: 'boolean', default: 'false', description: 'load it right away (stop, load, start)' },
    stopTimeoutInput('with --load: budget for stopping'),
    { name: Inputs.Resume, type: 'boolean', default: 'false', description: 'continue an interrupted upload' }
  ],
  parse(read) {
    const stopTimeoutSeconds = parseStopTimeout(read)
    return { operation: 'upload', ...parseUploadOptions(read), stopTimeoutSeconds }
  },
  check: async ({ decryption }) => {
    if (decryption !== undefined && 'identities' in decryption) await checkIdentities(decryption.identities)
  },
  run: (ctx, req) => backupResult(ctx, req, (request) => runUpload(ctx, request))
}

export function parseUploadOptions(read: ReadInput): UploadOptions {
  forbid(read, Inputs.EncryptRecipients, 'upload', `use '${Inputs.DecryptIdentity}' with the matching age secret key`)
  forbid(read, Inputs.SnapshotId, 'upload', `the uploaded snapshot gets a new ID; use '${Inputs.Replace}' to rotate an old one out`)
  const identities = parseIdentities(read(Inputs.DecryptIdentity))
  const passphrase = read(Inputs.EncryptPassphrase)
  if (identities.length > 0 && passphrase !== '') {
    throw new InputError(Inputs.EncryptPassphrase, `left empty when '${Inputs.DecryptIdentity}' is set`)
  }
  const replace = read(Inputs.Replace).trim()
  return {
    path: parsePath(
      read(Inputs.Path).trim(),
      Inputs.Path,
      'a backup directory or a `.tar` / `.tar.age` archive written by `operation: download` or `icp canister snapshot download`'
    ),
    decryption: identities.length > 0 ? { identities } : passphrase !== '' ? { passphrase: checkDecryptionPassphrase(passphrase) } : undefined,
    replace: replace === '' ? undefined : parseSnapshotId(replace, Inputs.Replace),
    load: readBoolean(read, Inputs.Load, false),
    concurrency: parseConcurrency(read, DEFAULT_TRANSFER_CONCURRENCY),
    resume: readBoolean(read, Inputs.Resume, false)
  }
}
