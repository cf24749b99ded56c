/**
 * The shape shared by snapshot and rollback over several canisters: stop all, work on all
 * concurrently, start all. Downtime is then one operation long, not N, and the snapshots form one
 * consistent cut. The start phase runs whatever happened before it; a canister whose stop failed
 * is left out of the work, while the others go on (partial failure is reported per canister).
 */
import type { Principal } from '@icp-sdk/core/principal'
import pLimit from 'p-limit'
import { withTimeout, type Deadline } from '../deadline.js'
import { asActionError, getErrorMessage, OperationTimeoutError, SnapshotActionError } from '../errors.js'
import type { Lifecycle } from './lifecycle.js'
import type { Logger } from '../logger.js'

export interface CutMember {
  canisterId: Principal
  /** Stop before the work (the canister is running and the request asks for a stop). */
  stop: boolean
  /** Start after the work even though this run did not stop it (rollback of a stopped canister). */
  startAfterSuccess: boolean
}

export interface CutOutcome<T> {
  canisterId: string
  value?: T
  error?: SnapshotActionError
  downtimeMs: number
}

export interface CutOptions<T> {
  lifecycle: Lifecycle
  logger: Logger
  deadline: Deadline
  concurrency: number
  stopTimeoutSeconds: number
  workPhase: string
  work: (canisterId: Principal) => Promise<T>
}

export async function consistentCut<T>(members: CutMember[], options: CutOptions<T>): Promise<CutOutcome<T>[]> {
  const { lifecycle, logger, deadline } = options
  const limit = pLimit(Math.max(1, options.concurrency))
  const outcomes = new Map<string, CutOutcome<T>>(members.map((m) => [m.canisterId.toText(), { canisterId: m.canisterId.toText(), downtimeMs: 0 }]))
  const stoppedAt = new Map<string, number>()
  const outcome = (m: CutMember): CutOutcome<T> => outcomes.get(m.canisterId.toText()) as CutOutcome<T>

  try {
    const toStop = members.filter((m) => m.stop)
    if (toStop.length > 0) {
      await logger.group(`Stop ${toStop.length} canister(s)`, () =>
        Promise.all(
          toStop.map((m) =>
            limit(async () => {
              const id = m.canisterId.toText()
              stoppedAt.set(id, Date.now())
              try {
                await lifecycle.stop(m.canisterId, options.stopTimeoutSeconds)
              } catch (error: unknown) {
                outcome(m).error = asActionError(error)
                stoppedAt.delete(id)
              }
            })
          )
        )
      )
    }
    const ready = members.filter((m) => outcome(m).error === undefined)
    if (ready.length > 0) {
      deadline.check(options.workPhase)
      await logger.group(options.workPhase, () =>
        Promise.all(
          ready.map((m) =>
            limit(async () => {
              try {
                outcome(m).value = await withTimeout(
                  options.work(m.canisterId),
                  deadline.remainingMs(),
                  () => new OperationTimeoutError(`${options.workPhase} for ${m.canisterId.toText()}`, deadline.seconds)
                )
              } catch (error: unknown) {
                outcome(m).error = asActionError(error)
              }
            })
          )
        )
      )
    }
  } catch (error: unknown) {
    // Only the deadline check lands here; every member not yet done shares its error.
    for (const m of members) if (outcome(m).error === undefined && outcome(m).value === undefined) outcome(m).error = asActionError(error)
  } finally {
    const toStart = members.filter((m) => {
      const id = m.canisterId.toText()
      return lifecycle.pending().includes(id) || (m.startAfterSuccess && outcome(m).value !== undefined)
    })
    if (toStart.length > 0) {
      await logger.group(`Start ${toStart.length} canister(s)`, () =>
        Promise.all(
          toStart.map((m) =>
            limit(async () => {
              const id = m.canisterId.toText()
              try {
                await lifecycle.start(m.canisterId)
              } catch (error: unknown) {
                const prior = outcome(m).error
                outcome(m).error = new SnapshotActionError(
                  `${prior === undefined ? '' : `${prior.message} `}Canister ${id} could not be started again: ${getErrorMessage(error)}`,
                  { cause: error }
                )
              }
              const since = stoppedAt.get(id)
              if (since !== undefined) outcome(m).downtimeMs = Date.now() - since
            })
          )
        )
      )
    }
  }
  return members.map(outcome)
}
