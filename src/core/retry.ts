/**
 * Retries with exponential backoff and jitter for the transient failures calls meet (transfers,
 * and control calls through control-retry.ts): HTTP 5xx / 429, connection resets, timeouts and
 * IC0210 heap-delta rate limiting. Errors are first mapped into the project's typed errors
 * (`core/errors.ts`) so the decision is an `instanceof` test whether the error came raw from the
 * agent or already mapped by the management client.
 */
import { mapAgentError, OutcomeUnknownError, RetryableError, TransientError, type SnapshotActionError } from './errors.js'

export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 8, baseDelayMs: 200, maxDelayMs: 10_000 }

/**
 * `idempotent`: sending the request twice has the same effect as once (reads, data writes at an
 * offset, chunk uploads keyed by hash). Anything else is retried only when the network refused it
 * before execution (`TransientError`), because a lost response may hide a call that did execute.
 */
export interface RetryContext {
  canisterId: string
  method: string
  idempotent: boolean
  policy?: RetryPolicy
  /** Ends the retries and abandons the attempt in flight (a request that never answers included). */
  signal?: AbortSignal
  /**
   * Budget of attempt `n` (1-based): an attempt with no answer by then is abandoned and counts as
   * failed. Its request may still execute, so only idempotent calls send another one.
   */
  attemptTimeoutMs?: (attempt: number) => number
  onRetry?: (error: SnapshotActionError, attempt: number, delayMs: number) => void
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  random?: () => number
}

function isRetryable(error: SnapshotActionError, idempotent: boolean): boolean {
  return idempotent ? error instanceof RetryableError : error instanceof TransientError
}

export async function withRetry<T>(fn: () => Promise<T>, ctx: RetryContext): Promise<T> {
  const policy = ctx.policy ?? DEFAULT_RETRY_POLICY
  const sleep = ctx.sleep ?? abortableSleep
  const random = ctx.random ?? Math.random
  for (let attempt = 1; ; attempt++) {
    ctx.signal?.throwIfAborted()
    try {
      return await attemptOnce(fn, ctx, attempt)
    } catch (raw: unknown) {
      // The step's budget is used up (or the work was given up): that, not the attempt, is the news.
      if (ctx.signal?.aborted) throw ctx.signal.reason
      const error = mapAgentError(raw, { canisterId: ctx.canisterId, method: ctx.method, host: 'the IC network' })
      if (attempt >= policy.attempts || !isRetryable(error, ctx.idempotent)) throw error
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
      const delayMs = Math.round(ceiling / 2 + (random() * ceiling) / 2)
      ctx.onRetry?.(error, attempt, delayMs)
      await sleep(delayMs, ctx.signal)
    }
  }
}

/** One attempt, raced against the signal and the attempt's budget; the request itself is not cancelled. */
function attemptOnce<T>(fn: () => Promise<T>, ctx: RetryContext, attempt: number): Promise<T> {
  const budgetMs = ctx.attemptTimeoutMs?.(attempt)
  const { signal } = ctx
  if (budgetMs === undefined && signal === undefined) return fn()
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    const onAbort = (): void => settle(() => reject(signal?.reason))
    const settle = (action: () => void): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      action()
    }
    if (budgetMs !== undefined) {
      timer = setTimeout(() => settle(() => reject(noAnswer(ctx, budgetMs))), budgetMs)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    let pending: Promise<T>
    try {
      pending = fn()
    } catch (error: unknown) {
      pending = Promise.reject(error)
    }
    pending.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error))
    )
  })
}

function noAnswer(ctx: RetryContext, ms: number): SnapshotActionError {
  const what = `${ctx.method} for ${ctx.canisterId} got no answer within ${ms} ms`
  return ctx.idempotent ? new TransientError(`${what}; sending it again.`) : new OutcomeUnknownError(`${what}; it may still execute.`)
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
