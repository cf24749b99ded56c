/**
 * Every operation the action and the CLI offer, composed from the commands: snapshot with
 * retention (replace at the limit, then prune what the policy rotates out), rollback, list,
 * delete, prune, and the off-chain backups (download, upload). Results share one shape so outputs,
 * the job summary and `--json` treat them alike.
 */
import { runCommand } from './commands/index.js'
import { runDownload, type BackupResult, type DownloadRequest } from './commands/download.js'
import { pruneAfterSnapshot, pruneFailure, runPruneCommand, type PruneRequest } from './commands/prune.js'
import type { CanisterResult, CommandContext, CommandRequest, CommandResult, SnapshotRequest } from './commands/types.js'
import { runUpload, type UploadRequest } from './commands/upload.js'
import { asActionError } from './cut.js'
import { failureMessage } from './report.js'
import { planReplacement, type RetentionPolicy } from './retention/policy.js'

export type SnapshotWithRetention = SnapshotRequest & { retention?: RetentionPolicy }

export type OperationRequest = Exclude<CommandRequest, SnapshotRequest> | SnapshotWithRetention | PruneRequest | DownloadRequest | UploadRequest

export interface OperationResult extends CommandResult {
  /** Outputs beyond the common ones (`path`, `bytes`, `sha256` for backups). */
  extraOutputs: Record<string, string>
  /** The step's one-line failure, or undefined on success. */
  failure: string | undefined
}

export async function runOperation(ctx: CommandContext, req: OperationRequest): Promise<OperationResult> {
  switch (req.operation) {
    case 'snapshot':
      return snapshotWithRetention(ctx, req)
    case 'prune': {
      const result = await runPruneCommand(ctx, req)
      return finish({ ...result, results: result.results })
    }
    case 'download':
    case 'upload':
      return backup(ctx, req)
    default:
      return finish(await runCommand(ctx, req))
  }
}

async function snapshotWithRetention(ctx: CommandContext, req: SnapshotWithRetention): Promise<OperationResult> {
  const { retention, ...request } = req
  if (retention === undefined) return finish(await runCommand(ctx, request))
  const result = await runCommand(ctx, {
    ...request,
    // At the limit, the oldest unprotected snapshot is replaced atomically by the new one.
    chooseReplace: (canisterId, existing) => planReplacement(canisterId, existing, retention).replace?.id
  })
  if (request.dryRun) return finish(result)
  const pruned = await ctx.logger.group('Apply retention', () =>
    pruneAfterSnapshot({ client: ctx.client, logger: ctx.logger, policy: retention, results: result.results, concurrency: ctx.concurrency, deadline: ctx.deadline })
  )
  const deletedBy = new Map(pruned.canisters.map((c) => [c.canisterId, c.deleted.map((d) => d.snapshot.id)]))
  const results = result.results.map((r): CanisterResult => {
    const deleted = deletedBy.get(r.canisterId) ?? []
    if (deleted.length === 0) return r
    const note = `rotated out ${deleted.join(', ')}`
    return { ...r, note: r.note === undefined ? note : `${r.note}; ${note}` }
  })
  const out = finish({ ...result, results })
  const pruneError = pruneFailure(pruned)
  if (pruneError !== undefined) out.failure = out.failure === undefined ? pruneError.message : `${out.failure} | ${pruneError.message}`
  return out
}

async function backup(ctx: CommandContext, req: DownloadRequest | UploadRequest): Promise<OperationResult> {
  const base = { operation: req.operation, principal: ctx.client.principal, dryRun: false }
  let done: BackupResult
  try {
    done = req.operation === 'download' ? await runDownload(ctx, req) : await runUpload(ctx, req)
  } catch (error: unknown) {
    const e = asActionError(error)
    return finish({ ...base, results: [{ canisterId: req.canister.toText(), operation: req.operation, outcome: 'failed', error: e.message, errorName: e.name }] })
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
  return { ...finish({ ...base, results: [row] }), extraOutputs: { path: done.path, bytes: String(done.bytes), sha256: done.sha256 } }
}

function finish(result: CommandResult): OperationResult {
  return { ...result, extraOutputs: {}, failure: failureMessage(result) }
}
