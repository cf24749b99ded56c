/**
 * The on-disk layout shared by `icp canister snapshot download` and `dfx canister snapshot
 * download`, plus this tool's manifest beside it (ignored by both CLIs on upload).
 */
import path from 'node:path'
import type { SnapshotMetadata } from '../transfer/client.js'
import { PROGRESS_FILE } from '../transfer/progress-file.js'
import { BLOB_KINDS, type BlobKind } from '../transfer/slices.js'
import { hex, type BlobFile, type ChunkFile } from '../transfer/types.js'

export const METADATA_FILE = 'metadata.json'
export const MANIFEST_FILE = 'canister-snapshot-manifest.json'
export const CHUNK_STORE_DIR = 'wasm_chunk_store'
export { PROGRESS_FILE }

export const BLOB_FILE_NAMES: Record<BlobKind, string> = {
  wasmModule: 'wasm_module.bin',
  wasmMemory: 'wasm_memory.bin',
  stableMemory: 'stable_memory.bin'
}

export function blobSizes(meta: SnapshotMetadata): Record<BlobKind, number> {
  return {
    wasmModule: Number(meta.wasmModuleSize),
    wasmMemory: Number(meta.wasmMemorySize),
    stableMemory: Number(meta.stableMemorySize)
  }
}

export function blobFiles(dir: string, meta: SnapshotMetadata): BlobFile[] {
  const sizes = blobSizes(meta)
  return BLOB_KINDS.map((kind) => ({ kind, path: path.join(dir, BLOB_FILE_NAMES[kind]), size: sizes[kind] }))
}

/** Relative path of a chunk-store entry: `wasm_chunk_store/<hex sha256>.bin`. */
export function chunkFileName(hash: Uint8Array): string {
  return `${CHUNK_STORE_DIR}/${hex(hash)}.bin`
}

export function chunkFiles(dir: string, meta: SnapshotMetadata): ChunkFile[] {
  return meta.wasmChunkStore.map(({ hash }) => ({ hash, path: path.join(dir, chunkFileName(hash)) }))
}

/** Every data file of a snapshot directory, relative, with `/` separators (manifest order). */
export function dataFileNames(meta: SnapshotMetadata): string[] {
  return [METADATA_FILE, ...BLOB_KINDS.map((k) => BLOB_FILE_NAMES[k]), ...meta.wasmChunkStore.map(({ hash }) => chunkFileName(hash))]
}

/** Names an archive may contain; anything else is refused on extraction. */
export function isLayoutPath(relative: string): boolean {
  return (
    relative === METADATA_FILE ||
    relative === MANIFEST_FILE ||
    Object.values(BLOB_FILE_NAMES).includes(relative) ||
    relative === CHUNK_STORE_DIR ||
    relative === `${CHUNK_STORE_DIR}/` ||
    /^wasm_chunk_store\/[0-9a-f]{64}\.bin$/.test(relative)
  )
}
