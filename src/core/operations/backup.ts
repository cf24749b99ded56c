/** What download and upload share: one row for their one canister, and the backup outputs. */
import type { Principal } from '@icp-sdk/core/principal'
import { Outputs } from '../../constants.js'
import type { BackupResult } from '../commands/download.js'
import type { CanisterResult, CommandContext } from '../commands/types.js'
import { failedRow } from '../errors.js'
import { finish } from './result.js'
import type { OperationResult, RequestBase } from './types.js'

/**
 * Runs a backup engine on the request's one canister (`canister` instead of `canisters`). A backup
 * fails as a row, like a canister of the other operations, so the outputs and the summary still
 * name the canister and the reason.
 */
export async function backupResult<Req extends RequestBase<'download' | 'upload'>>(
  ctx: CommandContext,
  req: Req,
  run: (req: Omit<Req, 'canisters'> & { canister: Principal }) => Promise<BackupResult>
): Promise<OperationResult> {
  const base = { operation: req.operation, principal: ctx.client.principal, dryRun: false }
  const { canisters: _canisters, ...rest } = req
  const canister = onlyCanister(req)
  let done: BackupResult
  try {
    done = await run({ ...rest, canister })
  } catch (error: unknown) {
    return finish({ ...base, results: [failedRow({ canisterId: canister.toText(), operation: req.operation }, error)] })
  }
  const row: CanisterResult = {
    canisterId: done.canisterId,
    operation: req.operation,
    outcome: 'ok',
    snapshotId: done.snapshotId,
    takenAt: done.takenAt,
    totalSize: BigInt(done.bytes),
    ...(done.moduleHash === undefined ? {} : { moduleHash: done.moduleHash }),
    note: `${done.path} (sha256 ${done.sha256}, ${(done.durationMs / 1000).toFixed(1)} s)`
  }
  return finish({ ...base, results: [row] }, { [Outputs.Path]: done.path, [Outputs.Bytes]: String(done.bytes), [Outputs.Sha256]: done.sha256 })
}

/** The flow has checked there is exactly one (`canisters: 'one'`). */
function onlyCanister(req: RequestBase<string>) {
  const [canister] = req.canisters
  if (canister === undefined) throw new TypeError(`operation '${req.operation}' needs one canister`)
  return canister
}
