/**
 * Stop and start with the guarantees every sequence relies on: a canister this run stopped is
 * recorded before the stop call (so the post step can restart it), a stop that takes longer than
 * its budget is undone by a start (which also rejects the pending stop, per the spec), and starts
 * are retried because they are idempotent.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-stop_canister
 */
import { Principal } from '@icp-sdk/core/principal'
import { withTimeout } from '../deadline.js'
import { getErrorMessage, NotAControllerError, RetryableError, SnapshotActionError, StopTimeoutError, TransientError, ViewerNotControllerError } from '../errors.js'
import type { CanisterStatus, ManagementClient, SnapshotInfo } from '../ic/management.js'
import type { Logger } from '../logger.js'
import { RestartLedger, type StateStore } from '../state.js'
import { retrying } from '../control-retry.js'

/** Budget for restarting a canister; never shortened by the step timeout. */
export const START_BUDGET_MS = 120_000
/** Per-attempt budgets of a start; a hung request is abandoned and a new one sent. */
const START_ATTEMPT_MS = [5_000, 15_000, 30_000, 60_000]

/**
 * `canister_status`, refusing early when the identity is not a controller. With `status_visibility`
 * set to public the call itself succeeds for anyone, so the controller list is checked as well.
 */
export async function preflightStatus(client: ManagementClient, canisterId: Principal, options: { certified?: boolean } = {}): Promise<CanisterStatus> {
  const id = canisterId.toText()
  const status = await retrying(() => client.canisterStatus(canisterId, options), id, 'canister_status')
  if (!status.controllers.includes(client.principal)) {
    throw new NotAControllerError({ canisterId: id, principal: client.principal, network: client.network })
  }
  return status
}

/**
 * The status and the snapshot list of a canister, read side by side: the list is an update call,
 * so it costs a consensus round anyway, and a certified status rides in the same round. That also
 * spares each canister of a fleet the subnet-key certificate a status query needs first.
 * When both fail, the status error is the one reported: it names the cause (no such canister, not
 * a controller) that the list's failure only repeats. A refused controller check beside a list
 * that succeeded means a snapshot viewer (`snapshot_visibility`): `status` is then undefined.
 */
export async function preflightReader(client: ManagementClient, canisterId: Principal): Promise<{ status: CanisterStatus | undefined; existing: SnapshotInfo[] }> {
  const id = canisterId.toText()
  const [status, existing] = await Promise.allSettled([
    preflightStatus(client, canisterId, { certified: true }),
    retrying(() => client.listSnapshots(canisterId), id, 'list_canister_snapshots')
  ])
  if (status.status === 'rejected') {
    if (status.reason instanceof NotAControllerError && existing.status === 'fulfilled') return { status: undefined, existing: existing.value }
    throw status.reason
  }
  if (existing.status === 'rejected') throw existing.reason
  return { status: status.value, existing: existing.value }
}

/** `preflightReader` for an operation that needs a controller: a snapshot viewer is told `operation` needs more. */
export async function preflightStatusAndSnapshots(
  client: ManagementClient,
  canisterId: Principal,
  operation: string
): Promise<{ status: CanisterStatus; existing: SnapshotInfo[] }> {
  const { status, existing } = await preflightReader(client, canisterId)
  if (status === undefined) throw new ViewerNotControllerError({ canisterId: canisterId.toText(), principal: client.principal, network: client.network, operation })
  return { status, existing }
}

export class Lifecycle {
  private readonly client: ManagementClient
  private readonly logger: Logger
  private readonly ledger: RestartLedger

  constructor(client: ManagementClient, logger: Logger, state: StateStore) {
    this.client = client
    this.logger = logger
    this.ledger = new RestartLedger(state)
  }

  /** Stops the canister; on timeout or failure it is started again and the error rethrown. */
  async stop(canisterId: Principal, timeoutSeconds: number): Promise<void> {
    const id = canisterId.toText()
    this.ledger.markStopping(id)
    // Once the stop is given up, no retry may send another stop after the start below.
    const abandon = new AbortController()
    try {
      await withTimeout(
        retrying(() => this.client.stop(canisterId), id, 'stop_canister', abandon.signal),
        timeoutSeconds * 1000,
        () => new StopTimeoutError({ canisterId: id })
      )
      this.logger.info(`Stopped ${id}.`)
    } catch (error: unknown) {
      abandon.abort()
      await this.start(canisterId).catch((startError: unknown) => {
        this.logger.error(`Could not start ${id} again after a failed stop: ${getErrorMessage(startError)}`)
      })
      throw error
    }
  }

  /**
   * Starts the canister and clears it from the pending-restart list. `start_canister` is
   * idempotent, so an attempt that gets no answer is not waited for: a fresh request is sent after
   * a growing per-attempt budget, until the whole start budget is used.
   */
  async start(canisterId: Principal): Promise<void> {
    const id = canisterId.toText()
    const until = Date.now() + START_BUDGET_MS
    for (let attempt = 0; ; attempt++) {
      const budget = Math.min(START_ATTEMPT_MS[Math.min(attempt, START_ATTEMPT_MS.length - 1)] ?? START_BUDGET_MS, until - Date.now())
      try {
        await withTimeout(retrying(() => this.client.start(canisterId), id, 'start_canister'), budget, () => new TransientError(`start_canister for ${id} got no answer within ${budget} ms`))
        break
      } catch (error: unknown) {
        if (!(error instanceof RetryableError) || Date.now() >= until) {
          throw new SnapshotActionError(`Canister ${id} could not be started (${getErrorMessage(error)}); start it with \`icp canister start ${id}\`.`, { cause: error })
        }
        this.logger.warning(`Starting ${id} again: ${getErrorMessage(error)}.`)
      }
    }
    this.ledger.markStarted(id)
    this.logger.info(`Started ${id}.`)
  }

  /** Canisters stopped by this run and not yet started. */
  pending(): string[] {
    return this.ledger.list()
  }
}

/**
 * Post-step repair: starts every canister the main step stopped and did not start. Failures are
 * reported, not thrown, so one bad canister does not keep the others stopped.
 */
export async function restartPending(client: ManagementClient, logger: Logger, state: StateStore): Promise<{ restarted: string[]; failed: string[] }> {
  const lifecycle = new Lifecycle(client, logger, state)
  const restarted: string[] = []
  const failed: string[] = []
  for (const id of lifecycle.pending()) {
    try {
      await lifecycle.start(Principal.fromText(id))
      restarted.push(id)
    } catch (error: unknown) {
      failed.push(id)
      logger.error(`Could not restart ${id}: ${getErrorMessage(error)}`)
    }
  }
  return { restarted, failed }
}
