/**
 * The end-to-end check of a streamed copy: every slice of the target's new snapshot is read back
 * and its SHA-256 compared with the SHA-256 of the bytes the source returned for it, and the
 * target's chunk store must list exactly the source's chunk hashes (the IC names chunks by their
 * hash). A slice sent by an earlier, interrupted run has no recorded digest: it is read from the
 * source again. Each blob's SHA-256 is computed from the target's bytes in order, so the module's
 * is the module hash the target must report once the snapshot is loaded.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_data
 */
import { createHash } from 'node:crypto'
import type { Principal } from '@icp-sdk/core/principal'
import { blobSizes } from '../backup/layout.js'
import { SnapshotActionError } from '../errors.js'
import { withRetry, type RetryContext } from '../retry.js'
import { readSlice, sameShape, type SnapshotDataClient, type SnapshotMetadata } from './client.js'
import { sha256Hex, type SliceDigests } from './canister-source.js'
import { BLOB_KINDS, sliceAt, sliceCount, type BlobKind } from './slices.js'

export interface SnapshotRef {
  canisterId: Principal
  snapshotId: string
}

export interface VerifyCopyOptions {
  client: SnapshotDataClient
  source: SnapshotRef
  target: SnapshotRef
  metadata: SnapshotMetadata
  digests: SliceDigests
  /** Slices read at once (each holds one slice of memory until it is hashed). */
  concurrency: number
  retry: RetryContext
}

export interface VerifiedCopy {
  /** SHA-256 (hex) of each blob as the target's snapshot holds it. */
  blobSha256: Record<BlobKind, string>
  slicesVerified: number
  /** Slices read from the source again because an interrupted run had sent them. */
  slicesReread: number
}

export async function verifyCopy(options: VerifyCopyOptions): Promise<VerifiedCopy> {
  const { client, source, target, metadata, digests, retry } = options
  const window = Math.max(1, options.concurrency)
  const read = (ref: SnapshotRef, kind: BlobKind, index: number, size: number): Promise<Uint8Array> =>
    withRetry(() => readSlice(client, ref, kind, sliceAt(index, size)), retry)

  const sizes = blobSizes(metadata)
  const blobSha256 = {} as Record<BlobKind, string>
  let slicesVerified = 0
  let slicesReread = 0
  for (const kind of BLOB_KINDS) {
    const size = sizes[kind]
    const whole = createHash('sha256')
    // Read a window of slices at once, then hash them in order: memory stays at one window.
    for (let first = 0; first < sliceCount(size); first += window) {
      const indexes = Array.from({ length: Math.min(window, sliceCount(size) - first) }, (_v, i) => first + i)
      const slices = await Promise.all(
        indexes.map(async (index) => {
          const [copied, expected] = await Promise.all([
            read(target, kind, index, size),
            digests[kind].get(index) ?? read(source, kind, index, size).then((bytes) => {
              slicesReread++
              return sha256Hex(bytes)
            })
          ])
          const got = sha256Hex(copied)
          if (got !== expected) {
            throw new SnapshotActionError(
              `Snapshot ${target.snapshotId} on ${target.canisterId.toText()} differs from ${source.snapshotId} of ${source.canisterId.toText()} at ${kind} slice ${index} (SHA-256 ${got}, expected ${expected}); run the copy again without 'resume'.`
            )
          }
          return copied
        })
      )
      for (const bytes of slices) whole.update(bytes)
      slicesVerified += slices.length
    }
    blobSha256[kind] = whole.digest('hex')
  }
  const remote = await withRetry(() => client.readCanisterSnapshotMetadata(target), { ...retry, method: 'read_canister_snapshot_metadata' })
  if (!sameShape(remote, metadata)) {
    throw new SnapshotActionError(
      `Snapshot ${target.snapshotId} on ${target.canisterId.toText()} does not have the sizes or Wasm chunks of ${source.snapshotId}; run the copy again without 'resume'.`
    )
  }
  return { blobSha256, slicesVerified, slicesReread }
}
