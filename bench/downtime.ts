/**
 * A canister's downtime while a step runs, sampled from the emulator's own state: the time it was
 * not `running`, summed over every stop. Sampling every 2 ms bounds the error well below the
 * latency model's 300 ms rounds.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { Emulator } from '../emulator/src/index.js'

const SAMPLE_MS = 2

export interface Sampled<T> {
  value: T
  wallMs: number
  downtimeMs: number
  /** The canister was not running when `fn` ended. */
  leftStopped: boolean
}

export async function sampleDowntime<T>(net: Emulator, id: Principal, fn: () => Promise<T>): Promise<Sampled<T>> {
  let downtimeMs = 0
  let stoppedSince: number | undefined
  const sample = (): void => {
    const now = performance.now()
    const running = net.canister(id)?.status === 'running'
    if (!running && stoppedSince === undefined) stoppedSince = now
    if (running && stoppedSince !== undefined) {
      downtimeMs += now - stoppedSince
      stoppedSince = undefined
    }
  }
  const timer = setInterval(sample, SAMPLE_MS)
  const started = performance.now()
  let value: T
  try {
    value = await fn()
  } finally {
    clearInterval(timer)
  }
  const wallMs = performance.now() - started
  sample()
  return { value, wallMs, downtimeMs, leftStopped: stoppedSince !== undefined }
}
