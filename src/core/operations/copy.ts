/** `operation: copy`: a snapshot of `from-canister` loaded onto `canister` (directly on one subnet, streamed across two). */
import { Inputs } from '../../constants.js'
import { DEFAULT_TRANSFER_CONCURRENCY, parseDownloadSelector } from '../backup/options.js'
import { runCopy, type CopyRequest } from '../commands/copy.js'
import { InputError } from '../errors.js'
import { dryRunInput, parseStopTimeout, readBoolean, stopInput, stopTimeoutInput } from '../inputs/common.js'
import { forbid } from '../inputs/values.js'
import { finish } from './result.js'
import type { OperationSpec } from './types.js'

/** Parsed, before `from-canister` is resolved to a principal (names need the project's ID files). */
export type CopyOperationRequest = Omit<CopyRequest, 'from'> & { fromRef: string; from?: CopyRequest['from'] }

export const copy: OperationSpec<CopyOperationRequest> = {
  name: 'copy',
  summary: 'load a snapshot of another canister onto this one (streamed when they are on different subnets)',
  canisters: 'one',
  defaultConcurrency: DEFAULT_TRANSFER_CONCURRENCY,
  inputs: [
    { name: Inputs.FromCanister, type: 'string', required: true, value: 'canister', description: 'canister (principal or project name) whose snapshot is copied' },
    { name: Inputs.SnapshotId, type: 'string', default: 'latest', value: 'id', description: "snapshot of from-canister: an ID, 'latest' or 'new'" },
    { name: Inputs.SafetySnapshot, type: 'boolean', default: 'true', description: 'do not snapshot the target first' },
    stopInput("with 'new': snapshot from-canister while running"),
    stopTimeoutInput(),
    dryRunInput(),
    { name: Inputs.Resume, type: 'boolean', default: 'false', description: 'continue an interrupted copy across subnets' }
  ],
  parse(read) {
    forbid(read, Inputs.Replace, 'copy')
    forbid(read, Inputs.Path, 'copy', 'it copies canister to canister without files')
    const fromRef = read(Inputs.FromCanister).trim()
    if (fromRef === '') throw new InputError(Inputs.FromCanister, "set for operation 'copy': the canister (principal or project name) whose snapshot is loaded onto 'canister'")
    const stopTimeoutSeconds = parseStopTimeout(read)
    return {
      operation: 'copy',
      fromRef,
      snapshot: parseDownloadSelector(read(Inputs.SnapshotId).trim()),
      safetySnapshot: readBoolean(read, Inputs.SafetySnapshot, true),
      stop: readBoolean(read, Inputs.Stop, true),
      stopTimeoutSeconds,
      dryRun: readBoolean(read, Inputs.DryRun, false),
      resume: readBoolean(read, Inputs.Resume, false)
    }
  },
  async resolve(req, resolveRef) {
    return { ...req, from: await resolveRef(req.fromRef, Inputs.FromCanister) }
  },
  async run(ctx, { fromRef, from, ...req }) {
    if (from === undefined) throw new TypeError(`'${Inputs.FromCanister}' ${fromRef} was not resolved before the copy`)
    return finish(await runCopy(ctx, { ...req, from }))
  }
}
