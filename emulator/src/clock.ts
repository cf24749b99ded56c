/** The emulator's wall clock: real time plus a test-controlled skew, in nanoseconds. */
import type { Clock } from './contracts.js'

export class SystemClock implements Clock {
  private skewNs = 0n

  nowNs(): bigint {
    // Date.now() keeps the clock comparable with the clients' (performance.now() drifts from it).
    return BigInt(Date.now()) * 1_000_000n + this.skewNs
  }

  skew(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`Clock skew must be a finite number of milliseconds, got ${ms}`)
    this.skewNs = BigInt(Math.round(ms)) * 1_000_000n
  }
}
