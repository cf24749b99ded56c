/**
 * Time budgets. The whole step has one (`timeout`) and stopping has its own (`stop-timeout`).
 * Restarting canisters is never cut short by the step budget: it gets a fixed grace period.
 */
import { OperationTimeoutError } from './errors.js'

export class Deadline {
  private readonly endsAt: number
  readonly seconds: number

  constructor(seconds: number, now: () => number = Date.now) {
    this.seconds = seconds
    this.endsAt = now() + seconds * 1000
    this.now = now
  }

  private readonly now: () => number

  remainingMs(): number {
    return Math.max(0, this.endsAt - this.now())
  }

  expired(): boolean {
    return this.remainingMs() === 0
  }

  /** Throws `OperationTimeoutError` when the budget is used up, before a phase that changes state. */
  check(what: string): void {
    if (this.expired()) throw new OperationTimeoutError(what, this.seconds)
  }

  /** Rejects with `OperationTimeoutError(what)` once the budget is used up; `promise` keeps running. */
  bound<T>(promise: Promise<T>, what: string): Promise<T> {
    return withTimeout(promise, this.remainingMs(), () => new OperationTimeoutError(what, this.seconds))
  }

  /**
   * Aborts with `OperationTimeoutError(what)` when the budget is used up, for work that takes a
   * signal (transfers, retries): the reason is typed, unlike `AbortSignal.timeout`'s DOMException.
   */
  signal(what: string): AbortSignal {
    const controller = new AbortController()
    const abort = (): void => controller.abort(new OperationTimeoutError(what, this.seconds))
    const ms = this.remainingMs()
    if (ms === 0) abort()
    // Unref'd, so a finished step does not keep the process alive. A budget beyond setTimeout's
    // range (about 24 days) is never reached by a step, so no timer is armed for it.
    else if (ms <= MAX_TIMER_MS) setTimeout(abort, ms).unref()
    return controller.signal
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1

/** Races `promise` against `ms`; on expiry rejects with `onTimeout()` (the promise keeps running). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expiry = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  try {
    return await Promise.race([promise, expiry])
  } finally {
    clearTimeout(timer)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
