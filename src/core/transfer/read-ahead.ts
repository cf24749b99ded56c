/**
 * The first slices of a download, read while the snapshot's metadata call is still in flight.
 * Without them every download spends one whole round trip (300 ms in the benchmark's network, a
 * second or two on the IC) with one call in flight and the other `concurrency - 1` slots idle,
 * because the slices are only known once the metadata has given the sizes. The sizes are guessed
 * instead: the first slices of the Wasm heap and of stable memory, alternately, each of the full
 * 2,000,000 bytes. A guess past the end of a blob is refused by the replica (`InvalidSlice`), a
 * slice shorter than the guess is read again by the transfer; either way the read is only wasted,
 * never wrong, and costs a slot that would have been idle.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { CanisterSnapshotMetadataKind, SnapshotDataClient } from './client.js'
import { withRetry } from '../retry.js'
import { SLICE_SIZE, type BlobKind } from './slices.js'

/** The blobs worth guessing: the module is small and of any size, these two are the bulk. */
const GUESSED_KINDS: readonly BlobKind[] = ['wasmMemory', 'stableMemory']

/** One attempt only: a read that fails is simply read again by the transfer, with its retries. */
const SINGLE_ATTEMPT = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }

export interface ReadAheadOptions {
  client: SnapshotDataClient
  canisterId: Principal
  snapshotId: string
  /** Reads to start: the slots the metadata call leaves free. */
  slots: number
  signal?: AbortSignal
}

export class ReadAhead {
  private readonly reads = new Map<string, Promise<Uint8Array | undefined>>()
  private used = 0
  /** Reads started. */
  readonly started: number

  constructor(options: ReadAheadOptions) {
    const { client, canisterId, snapshotId, slots, signal } = options
    this.started = Math.max(0, slots)
    for (let n = 0; n < this.started; n++) {
      const kind = GUESSED_KINDS[n % GUESSED_KINDS.length]
      const index = Math.floor(n / GUESSED_KINDS.length)
      const range = { offset: BigInt(index * SLICE_SIZE), size: BigInt(SLICE_SIZE) }
      const read = withRetry(() => client.readCanisterSnapshotData({ canisterId, snapshotId, kind: { [kind]: range } as CanisterSnapshotMetadataKind }), {
        canisterId: canisterId.toText(),
        method: 'read_canister_snapshot_data',
        idempotent: true,
        policy: SINGLE_ATTEMPT,
        signal
      }).then(
        ({ chunk }) => chunk,
        // A wrong guess, or a failure the transfer's own read will meet and report.
        () => undefined
      )
      this.reads.set(key(kind, index), read)
    }
  }

  /** Whether slice `index` was read ahead and not yet taken: the transfer takes these first, so their memory goes early. */
  has(kind: BlobKind, index: number): boolean {
    return this.reads.has(key(kind, index))
  }

  /**
   * The bytes of slice `index` if it was read ahead and is exactly `size` bytes long, else
   * undefined (read it as usual). Each slice is handed out once.
   */
  async take(kind: BlobKind, index: number, size: number): Promise<Uint8Array | undefined> {
    const read = this.reads.get(key(kind, index))
    if (read === undefined) return undefined
    this.reads.delete(key(kind, index))
    const chunk = await read
    if (chunk?.length !== size) return undefined
    this.used++
    return chunk
  }

  /** Slices read ahead and used. */
  get usedCount(): number {
    return this.used
  }

  /** Lets go of what the transfer did not need (reads past a blob's end, or already on disk). */
  discard(): void {
    this.reads.clear()
  }
}

function key(kind: BlobKind, index: number): string {
  return `${kind}:${index}`
}
