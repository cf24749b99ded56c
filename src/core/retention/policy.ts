/**
 * Retention policy: which snapshot to rotate out when a canister is at the snapshot limit, and
 * which snapshots to delete once a new one exists. Pure: no I/O, no clock (callers pass `nowNs`).
 *
 * A snapshot is deleted when it is not among the `keep` newest unprotected snapshots, or when it is
 * older than `maxAge`. The snapshot just taken and every protected snapshot are never deleted, and
 * protected snapshots do not count towards `keep`.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec/management-canister#ic-take_canister_snapshot
 */
import { SnapshotActionError } from '../errors.js'

/** The IC's limit of snapshots per canister (IC interface specification, "IC method take_canister_snapshot"). */
export const MAX_SNAPSHOTS_PER_CANISTER = 10

export interface RetentionPolicy {
  /** Keep at most this many unprotected snapshots (1–10). */
  keep?: number
  /** Delete unprotected snapshots older than this many milliseconds. */
  maxAgeMs?: number
  /** Snapshot IDs (lowercase hex) that are never deleted or replaced. */
  protect: ReadonlySet<string>
}

/** What the policy needs to know about a snapshot; `list_canister_snapshots` provides both. */
export interface RetainedSnapshot {
  /** Lowercase hex, as dfx and icp-cli print it. */
  id: string
  /** `taken_at_timestamp`, nanoseconds since the epoch. */
  takenAtNs: bigint
}

export type DeletionReason = 'beyond-keep' | 'older-than-max-age'

export interface PlannedDeletion<S extends RetainedSnapshot> {
  snapshot: S
  reason: DeletionReason
}

export interface ReplacementPlan<S extends RetainedSnapshot> {
  /** The snapshot to pass as `replace_snapshot`, or undefined when there is room for a new one. */
  replace?: S
}

/** True when the policy asks for anything to be rotated or deleted. */
function hasRetention(policy: RetentionPolicy | undefined): policy is RetentionPolicy {
  return policy !== undefined && (policy.keep !== undefined || policy.maxAgeMs !== undefined)
}

/**
 * Taking a snapshot at the limit fails (IC0406) unless one is replaced; `replace_snapshot` swaps the
 * oldest unprotected snapshot for the new one atomically, so the canister never drops below its
 * current protection while rotating.
 *
 * @throws RetentionBlockedError when the canister is at the limit and every snapshot is protected.
 */
export function planReplacement<S extends RetainedSnapshot>(
  canisterId: string,
  existing: readonly S[],
  policy: RetentionPolicy,
  limit: number = MAX_SNAPSHOTS_PER_CANISTER
): ReplacementPlan<S> {
  if (existing.length < limit) return {}
  const candidate = newestFirst(existing)
    .reverse()
    .find((s) => !policy.protect.has(s.id))
  if (candidate === undefined) throw new RetentionBlockedError(canisterId, existing.length)
  return { replace: candidate }
}

/**
 * The snapshots to delete after `justTakenId` was taken (undefined for a plain `prune`), oldest
 * first. Snapshots are ordered by `taken_at_timestamp`, ties broken by ID: IDs start with the
 * canister's big-endian snapshot counter, so a later snapshot of the same canister sorts higher.
 */
export function planDeletions<S extends RetainedSnapshot>(
  snapshots: readonly S[],
  policy: RetentionPolicy,
  options: { nowNs: bigint; justTakenId?: string }
): PlannedDeletion<S>[] {
  if (!hasRetention(policy)) return []
  const eligible = newestFirst(snapshots).filter((s) => s.id !== options.justTakenId && !policy.protect.has(s.id))
  // The snapshot just taken counts towards `keep`: keep 3 leaves it and the two newest before it.
  const justTakenCounts =
    options.justTakenId !== undefined &&
    !policy.protect.has(options.justTakenId) &&
    snapshots.some((s) => s.id === options.justTakenId)
  const slotsLeft = policy.keep === undefined ? Infinity : policy.keep - (justTakenCounts ? 1 : 0)
  const maxAgeNs = policy.maxAgeMs === undefined ? undefined : BigInt(policy.maxAgeMs) * 1_000_000n
  const deletions: PlannedDeletion<S>[] = []
  eligible.forEach((snapshot, index) => {
    if (index >= slotsLeft) deletions.push({ snapshot, reason: 'beyond-keep' })
    else if (maxAgeNs !== undefined && options.nowNs - snapshot.takenAtNs > maxAgeNs) {
      deletions.push({ snapshot, reason: 'older-than-max-age' })
    }
  })
  return deletions.reverse()
}

/**
 * What a snapshot run would rotate, for `dry-run`: the snapshot it would replace at the limit and
 * those it would delete afterwards, as if a snapshot were taken at `nowNs`.
 */
export function previewRotation<S extends RetainedSnapshot>(
  canisterId: string,
  existing: readonly S[],
  policy: RetentionPolicy,
  nowNs: bigint,
  limit: number = MAX_SNAPSHOTS_PER_CANISTER
): { replace?: S; deletions: PlannedDeletion<S>[] } {
  const { replace } = planReplacement(canisterId, existing, policy, limit)
  const remaining = existing.filter((s) => s !== replace)
  // Sorts after every real ID (hex digits only), as the next snapshot's counter would.
  const upcoming: RetainedSnapshot = { id: '~upcoming', takenAtNs: nowNs }
  const deletions = planDeletions<RetainedSnapshot>([...remaining, upcoming], policy, { nowNs, justTakenId: upcoming.id })
  const byId = new Map(remaining.map((s) => [s.id, s]))
  return {
    ...(replace === undefined ? {} : { replace }),
    deletions: deletions.flatMap((d) => {
      const snapshot = byId.get(d.snapshot.id)
      return snapshot === undefined ? [] : [{ snapshot, reason: d.reason }]
    })
  }
}

/** Newest first; stable for equal timestamps thanks to the ID's counter prefix. */
function newestFirst<S extends RetainedSnapshot>(snapshots: readonly S[]): S[] {
  return [...snapshots].sort((a, b) => {
    if (a.takenAtNs !== b.takenAtNs) return a.takenAtNs > b.takenAtNs ? -1 : 1
    return a.id === b.id ? 0 : a.id > b.id ? -1 : 1
  })
}

export class RetentionBlockedError extends SnapshotActionError {
  override name = 'RetentionBlockedError'
  readonly canisterId: string
  constructor(canisterId: string, count: number) {
    super(
      `Canister ${canisterId} has ${count} snapshots, the maximum, and all of them are listed in 'protect', so none can be rotated out. ` +
        `Remove one ID from 'protect' or delete a snapshot first.`
    )
    this.canisterId = canisterId
  }
}
