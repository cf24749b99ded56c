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
}

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
