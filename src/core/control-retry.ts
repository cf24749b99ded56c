/**
 * Retries for the short control calls (status, list, stop, start, load): idempotent, so any
 * retryable failure is retried, but with a small budget, because a person or a workflow is waiting
 * and the agent already retries each HTTP request itself.
 */
import { withRetry, type RetryPolicy } from './retry.js'

const CONTROL_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 2_000 }

/**
 * Per-attempt budgets for short calls where no step deadline applies (prune after a snapshot, a
 * delete's attempts): a request that never answers is abandoned and, when idempotent, sent again.
 * Growing, because a slow but live network deserves longer on each try.
 */
const ATTEMPT_BUDGETS_MS = [5_000, 15_000, 30_000, 60_000]

export function controlAttemptBudgetMs(attempt: number): number {
  return ATTEMPT_BUDGETS_MS[Math.min(attempt, ATTEMPT_BUDGETS_MS.length) - 1] ?? 60_000
}

/** `signal` stops further attempts, e.g. once a stop has been given up and undone by a start. */
export function retrying<T>(fn: () => Promise<T>, canisterId: string, method: string, signal?: AbortSignal): Promise<T> {
  return withRetry(fn, { canisterId, method, idempotent: true, policy: CONTROL_RETRY_POLICY, ...(signal === undefined ? {} : { signal }) })
}
