/**
 * copy: a snapshot of one canister (`from-canister`) loaded onto another (`canister`). Both are
 * checked first (controller of the target; of the source too, or, unless a snapshot is to be taken
 * of it, allowed to read its snapshots by `snapshot_visibility`; the snapshot, room for the
 * snapshots the copy adds, and each one's subnet) before anything is stopped. On one subnet the IC
 * loads the source's snapshot onto the target directly (spec 0.50.0: the caller controls both);
 * across subnets, or for a source this identity only reads, it cannot, so the snapshot is streamed
 * into a new snapshot of the target (`copy-stream.ts`) while the target keeps running, and that
 * one is loaded. Either way the load is the rollback's stop → safety snapshot →
 * load → start → confirm (`phases/load.ts`).
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-load_canister_snapshot
 */
import type { Principal } from '@icp-sdk/core/principal'
import { Inputs } from '../../constants.js'
import type { DownloadSelector } from '../backup/options.js'
import { EmptyCanisterError, errorOfRow, failedRow, InputError, ProgressRecordError, SnapshotActionError } from '../errors.js'
import type { CanisterStatus, SnapshotInfo } from '../ic/management.js'
import { preflightReader, preflightStatusAndSnapshots } from '../phases/lifecycle.js'
import { loadSafely } from '../phases/load.js'
import { preflightAll } from '../phases/preflight.js'
import type { RetryPolicy } from '../retry.js'
import { snapshotOwner, type SnapshotId } from '../snapshot-id.js'
import { interruptedSource, streamSnapshot, type Streamed } from './copy-stream.js'
import { MAX_SNAPSHOTS, runSnapshot } from './snapshot.js'
import { nsToIso, type CanisterResult, type CommandContext, type CommandResult } from './types.js'

export interface CopyRequest {
  operation: 'copy'
  /** The target: exactly one canister. */
  canisters: Principal[]
  from: Principal
  snapshot: DownloadSelector
  safetySnapshot: boolean
  /** With `snapshot: new`: stop the source for a consistent snapshot (and start it again). */
  stop: boolean
  stopTimeoutSeconds: number
  dryRun: boolean
  resume: boolean
  /** Tests tune these; defaults suit a real network. */
  retry?: RetryPolicy
  progressDir?: string
}

interface Side {
  canisterId: Principal
  /** Undefined for a source this identity may only read (a snapshot viewer's). */
  status: CanisterStatus | undefined
  existing: SnapshotInfo[]
  subnet: string
}

export async function runCopy(ctx: CommandContext, req: CopyRequest): Promise<CommandResult> {
  const { client, logger } = ctx
  const target = onlyTarget(req)
  const targetId = target.toText()
  const sourceId = req.from.toText()
  if (sourceId === targetId) throw new InputError(Inputs.FromCanister, `another canister than '${Inputs.Canister}' (${targetId}); to load a snapshot of a canister onto itself use 'operation: rollback'`, sourceId)
  if (req.snapshot.kind === 'id' && snapshotOwner(req.snapshot.id).toText() !== sourceId) {
    throw new InputError(Inputs.SnapshotId, `'latest', 'new' or an ID of a snapshot of ${sourceId} ('${Inputs.FromCanister}'); ${req.snapshot.id} belongs to ${snapshotOwner(req.snapshot.id).toText()}`)
  }
  const base = { operation: 'copy' as const, principal: client.principal, dryRun: req.dryRun }
  // With `new` and an interrupted copy of the same source, the snapshot it was streaming is reused.
  let pending: SnapshotId | undefined
  try {
    pending = req.resume && req.snapshot.kind === 'new' ? await interruptedSource(target, req.from, req.progressDir) : undefined
  } catch (error: unknown) {
    return { ...base, results: [failedRow({ canisterId: targetId, operation: 'copy' }, error)] }
  }

  const checked = await logger.group('Check canisters', () =>
    preflightAll([target, req.from], 'copy', ctx, async (canisterId): Promise<Side> => {
      // The source is only read unless a snapshot is taken of it: a snapshot viewer suffices there.
      const readOnly = canisterId.toText() === sourceId && req.snapshot.kind !== 'new'
      const [{ status, existing }, subnet] = await Promise.all([
        readOnly ? preflightReader(client, canisterId) : preflightStatusAndSnapshots(client, canisterId, 'copy'),
        client.subnetOf(canisterId)
      ])
      return { canisterId, status, existing, subnet }
    })
  )
  if (!checked.ok) return { ...base, results: checked.results }
  // The target went through the controller check, so its status is known.
  const [to, from] = checked.plans as [Side & { status: CanisterStatus }, Side]
  const sameSubnet = to.subnet === from.subnet
  // The IC loads another canister's snapshot only for a controller of both; a viewer's is streamed.
  const direct = sameSubnet && from.status !== undefined
  let chosen: SnapshotInfo | undefined
  try {
    chosen = pickSource(from, req.snapshot, pending)
    // The snapshots the copy adds to the target (a resumed stream's is there already); the count is this list's length.
    const adds = [direct || req.resume ? undefined : 'the streamed copy', req.safetySnapshot ? 'a safety snapshot' : undefined].filter((a): a is string => a !== undefined)
    if (to.existing.length + adds.length > MAX_SNAPSHOTS) {
      throw new SnapshotActionError(
        `Canister ${targetId} has ${to.existing.length} of ${MAX_SNAPSHOTS} snapshots; the copy needs ${adds.length} more (${adds.join(', ')}). Delete one ('operation: delete')${req.safetySnapshot ? " or set 'safety-snapshot: false'" : ''}.`
      )
    }
  } catch (error: unknown) {
    return { ...base, results: [failedRow({ canisterId: targetId, operation: 'copy' }, error)] }
  }
  const how = direct
    ? `same subnet (${to.subnet}): loaded directly`
    : sameSubnet
      ? `same subnet (${to.subnet}), but this identity may only read ${sourceId}'s snapshots: streamed`
      : `subnet ${from.subnet} to ${to.subnet}: streamed`
  logger.info(`Copying ${chosen?.id ?? 'a new snapshot'} of ${sourceId} onto ${targetId} (${to.status.status}); ${how}.`)

  if (req.dryRun) {
    const steps = [
      chosen === undefined ? `take a snapshot of ${sourceId}` : undefined,
      direct ? undefined : `stream it into a new snapshot of ${targetId} and verify every slice`,
      to.status.status === 'running' ? `stop ${targetId}` : undefined,
      req.safetySnapshot ? 'take a safety snapshot' : undefined,
      `load ${chosen?.id ?? 'it'}`,
      'start'
    ].filter((s): s is string => s !== undefined)
    return { ...base, results: [{ canisterId: targetId, operation: 'copy', outcome: 'dry-run', ...(chosen === undefined ? {} : { snapshotId: chosen.id }), note: `would ${steps.join(', ')}` }] }
  }

  let snapshotId: SnapshotId
  let expectedModuleHash: string | undefined
  try {
    if (chosen === undefined) {
      const taken = await takeNew(ctx, req)
      chosen = { id: taken, takenAtNs: BigInt(Date.now()) * 1_000_000n, totalSize: 0n }
      // Taken from the module the source runs now, so the target must run the same one.
      expectedModuleHash = from.status?.moduleHash
    }
    snapshotId = chosen.id
  } catch (error: unknown) {
    return { ...base, results: [failedRow({ canisterId: targetId, operation: 'copy' }, error)] }
  }

  let streamed: Streamed | undefined
  if (!direct) {
    try {
      streamed = await streamSnapshot(ctx, { source: req.from, sourceSnapshotId: snapshotId, target, concurrency: ctx.concurrency, resume: req.resume, ...(req.retry === undefined ? {} : { retry: req.retry }), ...(req.progressDir === undefined ? {} : { progressDir: req.progressDir }) })
    } catch (error: unknown) {
      // Running again with `resume` would read the same record; its message says what to do instead.
      if (error instanceof ProgressRecordError) return { ...base, results: [failedRow({ canisterId: targetId, operation: 'copy', snapshotId }, error)] }
      const hint = new SnapshotActionError(`Streaming ${snapshotId} of ${sourceId} onto ${targetId} stopped: ${error instanceof Error ? error.message : String(error)} ${targetId} was not touched; run again with 'resume: true' to continue.`, { cause: error })
      return { ...base, results: [failedRow({ canisterId: targetId, operation: 'copy', snapshotId }, hint)] }
    }
    // The streamed module is what the target must run.
    expectedModuleHash = streamed.verified.blobSha256.wasmModule
  }

  const loaded = await loadSafely(ctx, {
    canisterId: target,
    running: to.status.status !== 'stopped',
    existing: streamed === undefined ? to.existing : [...to.existing, { id: streamed.snapshotId, takenAtNs: 0n, totalSize: 0n }],
    snapshotId: streamed?.snapshotId ?? snapshotId,
    safetySnapshot: req.safetySnapshot,
    stopTimeoutSeconds: req.stopTimeoutSeconds,
    ...(expectedModuleHash === undefined ? {} : { expectedModuleHash })
  })
  const common = {
    canisterId: targetId,
    operation: 'copy' as const,
    snapshotId: streamed?.snapshotId ?? snapshotId,
    downtimeMs: loaded.downtimeMs,
    ...(loaded.safetySnapshotId === undefined ? {} : { safetySnapshotId: loaded.safetySnapshotId })
  }
  if (loaded.error !== undefined) {
    const kept = streamed === undefined ? undefined : `${loaded.error.message} Snapshot ${streamed.snapshotId} stays on ${targetId}; run again with 'resume: true' to load it without streaming it again.`
    return { ...base, results: [failedRow(common, loaded.error, kept)] }
  }
  await streamed?.forget()
  const row: CanisterResult = {
    ...common,
    outcome: 'ok',
    takenAt: nsToIso(streamed?.metadata.takenAtTimestamp ?? chosen.takenAtNs),
    ...(chosen.totalSize > 0n ? { totalSize: chosen.totalSize } : {}),
    ...(loaded.moduleHash === undefined ? {} : { moduleHash: loaded.moduleHash }),
    note:
      streamed === undefined
        ? `from ${sourceId} snapshot ${snapshotId}, loaded directly (same subnet)`
        : `from ${sourceId} snapshot ${snapshotId}, streamed ${sameSubnet ? '(its snapshots are only readable to this identity)' : 'across subnets'} (${streamed.stats.bytesTransferred + streamed.stats.bytesResumed} bytes${streamed.resumed ? ', resumed' : ''}; ${streamed.verified.slicesVerified} slice(s) verified by SHA-256)`
  }
  return { ...base, results: [row] }
}

function onlyTarget(req: CopyRequest): Principal {
  const [target] = req.canisters
  if (target === undefined || req.canisters.length !== 1) throw new InputError(Inputs.Canister, "exactly one canister for operation 'copy' (the target)")
  return target
}

/** The source snapshot; undefined when a new one is to be taken. */
function pickSource(from: Side, selector: DownloadSelector, pending: SnapshotId | undefined): SnapshotInfo | undefined {
  const id = from.canisterId.toText()
  if (selector.kind === 'new') {
    if (from.status?.moduleHash === undefined) throw new EmptyCanisterError({ canisterId: id })
    const resumed = pending === undefined ? undefined : from.existing.find((s) => s.id === pending)
    if (resumed === undefined && from.existing.length >= MAX_SNAPSHOTS) {
      throw new SnapshotActionError(`Canister ${id} ('${Inputs.FromCanister}') already has ${MAX_SNAPSHOTS} snapshots, so no new one can be taken; delete one or copy 'latest'.`)
    }
    return resumed
  }
  if (selector.kind === 'latest') {
    const newest = from.existing.at(-1)
    if (newest === undefined) throw new SnapshotActionError(`Canister ${id} ('${Inputs.FromCanister}') has no snapshot to copy; use 'snapshot-id: new' to take one first.`)
    return newest
  }
  const found = from.existing.find((s) => s.id === selector.id)
  if (found === undefined) {
    throw new InputError(Inputs.SnapshotId, `'latest', 'new' or the ID of a snapshot ${id} has ('operation: list' shows them)`, selector.id)
  }
  return found
}

async function takeNew(ctx: CommandContext, req: CopyRequest): Promise<SnapshotId> {
  const taken = await runSnapshot(ctx, { operation: 'snapshot', canisters: [req.from], replace: [], stop: req.stop, stopTimeoutSeconds: req.stopTimeoutSeconds, dryRun: false })
  const outcome = taken.results[0]
  if (outcome === undefined || outcome.outcome !== 'ok' || outcome.snapshotId === undefined) {
    // Thrown with its class: a stop timeout, no cycles or an outage each call for something else.
    throw errorOfRow(outcome, `Taking a snapshot of ${req.from.toText()} failed.`)
  }
  return outcome.snapshotId
}
