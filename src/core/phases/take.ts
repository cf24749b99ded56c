/**
 * Taking a snapshot without ever taking two. `take_canister_snapshot` is not idempotent: a call
 * whose response was lost may have executed. After a retryable failure the snapshot list is read
 * and a snapshot that was not there before is adopted; only if none appeared is the call repeated.
 */
import type { Principal } from '@icp-sdk/core/principal'
import { sleep } from '../deadline.js'
import { RetryableError } from '../errors.js'
import type { ManagementClient, SnapshotInfo } from '../ic/management.js'
import type { Logger } from '../logger.js'
import type { SnapshotId } from '../snapshot-id.js'
import { retrying } from '../control-retry.js'

export const TAKE_ATTEMPTS = 4

export async function takeSnapshotOnce(
  client: ManagementClient,
  logger: Logger,
  canisterId: Principal,
  replace: SnapshotId | undefined,
  before: SnapshotInfo[]
): Promise<SnapshotInfo> {
  const id = canisterId.toText()
  const known = new Set(before.map((s) => s.id))
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.takeSnapshot({ canisterId, ...(replace === undefined ? {} : { replace }) })
    } catch (error: unknown) {
      if (!(error instanceof RetryableError) || attempt >= TAKE_ATTEMPTS) throw error
      logger.warning(`Taking the snapshot of ${id} failed (${error.message}); checking whether it was taken anyway.`)
      const now = await retrying(() => client.listSnapshots(canisterId), id, 'list_canister_snapshots')
      const fresh = now.filter((s) => !known.has(s.id))
      const adopted = fresh.at(-1)
      if (adopted !== undefined) {
        logger.info(`Snapshot ${adopted.id} of ${id} exists: the call had executed; adopting it instead of taking another.`)
        return adopted
      }
      await sleep(250 * 2 ** (attempt - 1))
    }
  }
}
