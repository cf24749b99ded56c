/**
 * Resolving which snapshot an operation means, before anything changes: explicit IDs are matched
 * to canisters by the owner encoded in the ID, `latest` is the newest listed snapshot.
 */
import type { Principal } from '@icp-sdk/core/principal'
import { InputError, SnapshotNotFoundError } from '../errors.js'
import type { SnapshotInfo } from '../ic/management.js'
import { snapshotOwner, type SnapshotId } from '../snapshot-id.js'

/** Maps each ID to its owner canister; refuses IDs of canisters not in `canisters`, or two per canister. */
export function matchByOwner(ids: SnapshotId[], canisters: Principal[], input: string): Map<string, SnapshotId> {
  const wanted = new Set(canisters.map((c) => c.toText()))
  const byOwner = new Map<string, SnapshotId>()
  for (const id of ids) {
    const owner = snapshotOwner(id).toText()
    if (!wanted.has(owner)) {
      throw new InputError(input, `IDs of snapshots of the given canister(s); ${id} belongs to canister ${owner}`)
    }
    if (byOwner.has(owner)) throw new InputError(input, `at most one snapshot ID per canister; two were given for ${owner}`)
    byOwner.set(owner, id)
  }
  return byOwner
}

/** `latest`, or explicit snapshot IDs already matched to the canisters they belong to. */
export type ResolvedSelector = { kind: 'latest' } | { kind: 'ids'; byOwner: Map<string, SnapshotId> }

/** Resolves a `snapshot-id`-style input against the canisters of the run (see `matchByOwner`). */
export function resolveSelector(selector: { kind: 'latest' } | { kind: 'ids'; ids: SnapshotId[] }, canisters: Principal[], input: string): ResolvedSelector {
  return selector.kind === 'latest' ? { kind: 'latest' } : { kind: 'ids', byOwner: matchByOwner(selector.ids, canisters, input) }
}

/** The snapshot an operation targets on one canister; `existing` is oldest first. */
export function pickSnapshot(
  canisterId: string,
  existing: SnapshotInfo[],
  selector: ResolvedSelector,
  input: string
): SnapshotInfo {
  if (selector.kind === 'latest') {
    const newest = existing.at(-1)
    if (newest === undefined) throw new SnapshotNotFoundError({ canisterId })
    return newest
  }
  const id = selector.byOwner.get(canisterId)
  if (id === undefined) throw new InputError(input, `one snapshot ID for canister ${canisterId} (or 'latest')`)
  const found = existing.find((s) => s.id === id)
  if (found === undefined) throw new SnapshotNotFoundError({ canisterId, snapshotId: id })
  return found
}
