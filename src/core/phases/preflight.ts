/**
 * The read-only phase every changing command starts with: status (controller rights), snapshot
 * list, and the command's own checks, for all canisters before any of them is touched. If one
 * canister fails, none is changed.
 */
import type { Principal } from '@icp-sdk/core/principal'
import pLimit from 'p-limit'
import { withTimeout, type Deadline } from '../deadline.js'
import { failedRow, OperationTimeoutError } from '../errors.js'
import type { CanisterResult, Operation } from '../commands/types.js'

/** A result row whose operation is known to be `O`. */
type RowOf<O extends Operation> = Omit<CanisterResult, 'operation'> & { operation: O }

export type PreflightResult<P, O extends Operation = Operation> = { ok: true; plans: P[] } | { ok: false; results: RowOf<O>[] }

export async function preflightAll<P, O extends Operation>(
  canisters: Principal[],
  operation: O,
  ctx: { concurrency: number; deadline: Deadline },
  check: (canisterId: Principal) => Promise<P>
): Promise<PreflightResult<P, O>> {
  const limit = pLimit(Math.max(1, ctx.concurrency))
  // A check that hangs (no answer from the network) must not hold the step past its budget.
  const bounded = (c: Principal): Promise<P> =>
    withTimeout(check(c), ctx.deadline.remainingMs(), () => new OperationTimeoutError(`Checking canister ${c.toText()}`, ctx.deadline.seconds))
  const settled = await Promise.allSettled(canisters.map((c) => limit(() => bounded(c))))
  const failed = settled.some((s) => s.status === 'rejected')
  if (!failed) return { ok: true, plans: settled.map((s) => (s as PromiseFulfilledResult<P>).value) }
  const failedIds = canisters.filter((_c, i) => settled[i]?.status === 'rejected').map((c) => c.toText())
  const results = canisters.map((c, i): RowOf<O> => {
    const s = settled[i]
    if (s?.status === 'rejected') {
      return failedRow({ canisterId: c.toText(), operation }, s.reason)
    }
    return { canisterId: c.toText(), operation, outcome: 'skipped', note: `not changed because ${failedIds.join(', ')} failed the checks` }
  })
  return { ok: false, results }
}
