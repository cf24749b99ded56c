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
import { TransientError } from '../errors.js'
import { withRetry, type RetryContext } from '../retry.js'
import type { CanisterSnapshotMetadataKind, SnapshotDataClient } from './client.js'
import type { SliceSource } from './slice-source.js'
import type { BlobKind } from './slices.js'
import { hex } from './types.js'

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
  const read = async (kind: CanisterSnapshotMetadataKind, expected: number | undefined): Promise<Uint8Array> => {
    const { chunk } = await client.readCanisterSnapshotData({ canisterId, snapshotId, kind })
    if (expected !== undefined && chunk.length !== expected) {
      throw new TransientError(`The IC returned ${chunk.length} bytes for a ${expected}-byte slice; retrying it.`)
    }
    return chunk
  }
  return {
    async slice(kind, slice) {
      const range = { [kind]: { offset: BigInt(slice.offset), size: BigInt(slice.size) } } as CanisterSnapshotMetadataKind
      const bytes = await withRetry(() => read(range, slice.size), retry)
      digests[kind].set(slice.index, sha256Hex(bytes))
      return bytes
    },
    async chunk(chunk) {
      return withRetry(async () => {
        const bytes = await read({ wasmChunk: { hash: chunk.hash } }, undefined)
        // A chunk is named by its hash: bytes that do not hash to it are not the chunk.
        const digest = sha256Hex(bytes)
        if (digest !== hex(chunk.hash)) throw new TransientError(`Wasm chunk ${hex(chunk.hash)} arrived with SHA-256 ${digest}; retrying it.`)
        return bytes
      }, retry)
    },
    close: async () => undefined
  }
}
