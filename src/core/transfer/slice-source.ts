/**
 * Where the upload engine gets the bytes it sends: local files (`operation: upload`) or another
 * canister's snapshot (`operation: copy` across subnets). The engine decides what moves, when and
 * with which retries; a source only answers "the bytes of this slice" and "the bytes of this chunk".
 */
import { promises as fs } from 'node:fs'
import type { Slice, BlobKind } from './slices.js'
import type { BlobFile, ChunkFile } from './types.js'

export interface SliceSource {
  /**
   * The bytes of one slice. `room` gives a buffer the upload call sends without copying; a source
   * that already holds the bytes in a buffer of its own may ignore it.
   */
  slice(kind: BlobKind, slice: Slice, room: () => Uint8Array): Promise<Uint8Array>
  chunk(chunk: ChunkFile): Promise<Uint8Array>
  close(): Promise<void>
}

/** Blob and chunk files on disk, each slice read straight into the call's argument. */
export async function openDiskSource(blobs: readonly BlobFile[]): Promise<SliceSource> {
  const handles = new Map<BlobKind, { handle: fs.FileHandle; path: string }>()
  try {
    // A zero-size blob has no slices; dfx does not even write its file.
    for (const blob of blobs) if (blob.size > 0) handles.set(blob.kind, { handle: await fs.open(blob.path, 'r'), path: blob.path })
  } catch (error: unknown) {
    await Promise.all([...handles.values()].map((h) => h.handle.close()))
    throw error
  }
  return {
    async slice(kind, slice, room) {
      const open = handles.get(kind)
      if (open === undefined) throw new Error(`no open file for ${kind}`)
      return readFully(open.handle, room(), slice.offset, open.path)
    },
    chunk: (chunk) => fs.readFile(chunk.path),
    close: async () => {
      await Promise.all([...handles.values()].map((h) => h.handle.close()))
    }
  }
}

/** Fills `buffer` from `offset`; a file that ends early was truncated or changed under us. */
async function readFully(handle: fs.FileHandle, buffer: Uint8Array, offset: number, file: string): Promise<Uint8Array> {
  const size = buffer.length
  let read = 0
  while (read < size) {
    const { bytesRead } = await handle.read(buffer, read, size - read, offset + read)
    if (bytesRead === 0) throw new Error(`${file} ended at ${offset + read} bytes while ${offset + size} were expected; it was truncated or changed during the upload.`)
    read += bytesRead
  }
  return buffer
}
