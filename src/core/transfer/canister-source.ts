/**
 * Slices read from a snapshot of another canister, for a copy across subnets: the bytes go from
 * `read_canister_snapshot_data` on the source straight into `upload_canister_snapshot_data` on the
 * target, never to disk. The SHA-256 of every slice as the source returned it is kept, so the
 * target's copy can be compared with it afterwards (`verify-copy.ts`).
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_data
 */
import { createHash } from 'node:crypto'
import type { Principal } from '@icp-sdk/core/principal'
import { withRetry, type RetryContext } from '../retry.js'
import { checkChunkHash, readSlice, type SnapshotDataClient } from './client.js'
import type { SliceSource } from './slice-source.js'
import type { BlobKind } from './slices.js'

/** SHA-256 (hex) of each slice as read from the source, by blob and slice index. */
export type SliceDigests = Record<BlobKind, Map<number, string>>

export function emptyDigests(): SliceDigests {
  return { wasmModule: new Map(), wasmMemory: new Map(), stableMemory: new Map() }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export interface CanisterSourceOptions {
  client: SnapshotDataClient
  canisterId: Principal
  snapshotId: string
  retry: RetryContext
  digests: SliceDigests
}

export function canisterSource(options: CanisterSourceOptions): SliceSource {
  const { client, canisterId, snapshotId, retry, digests } = options
  return {
    async slice(kind, slice) {
      const bytes = await withRetry(() => readSlice(client, { canisterId, snapshotId }, kind, slice), retry)
      digests[kind].set(slice.index, sha256Hex(bytes))
      return bytes
    },
    chunk: (chunk) =>
      withRetry(async () => {
        const { chunk: bytes } = await client.readCanisterSnapshotData({ canisterId, snapshotId, kind: { wasmChunk: { hash: chunk.hash } } })
        checkChunkHash(chunk.hash, bytes)
        return bytes
      }, retry),
    close: async () => undefined
  }
}
