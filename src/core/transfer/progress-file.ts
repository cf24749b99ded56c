/**
 * The resume record of an interrupted transfer. A slice is recorded only after its bytes are on
 * disk (download, flushed with `datasync`) or acknowledged by the IC (upload), so a second run can
 * skip exactly what is done. Written atomically (temporary file + rename): a crash leaves either
 * the old record or the new one, never a torn file.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { BLOB_KINDS, SliceSet, sliceCount, type BlobKind } from './slices.js'
import { readTextIfExists } from '../read-if-exists.js'
import { ProgressRecordError } from '../errors.js'

export const PROGRESS_FILE = '.canister-snapshot-progress.json'
const FORMAT_VERSION = 1

export interface ProgressIdentity {
  operation: 'download' | 'upload' | 'copy'
  /** The canister the data is read from (download) or written to (upload, copy). */
  canisterId: string
  snapshotId: string
  /** Ties the record to the exact files or metadata it was made for (SHA-256 hex). */
  fingerprint: string
}

interface ProgressRecord extends ProgressIdentity {
  version: number
  blobs: Record<BlobKind, { size: number; done: Array<[number, number]> }>
  chunks: string[]
}

export class TransferProgress {
  private pending: Promise<void> | undefined
  /** A fresh record has never been written; a loaded one is on disk already. */
  private dirty = true

  private constructor(
    readonly file: string,
    readonly identity: ProgressIdentity,
    private readonly sizes: Record<BlobKind, number>,
    readonly blobs: Record<BlobKind, SliceSet>,
    readonly chunks: Set<string>
  ) {}

  static fresh(dir: string, identity: ProgressIdentity, sizes: Record<BlobKind, number>): TransferProgress {
    const blobs = Object.fromEntries(BLOB_KINDS.map((k) => [k, new SliceSet(sliceCount(sizes[k]))])) as Record<BlobKind, SliceSet>
    return new TransferProgress(path.join(dir, PROGRESS_FILE), identity, sizes, blobs, new Set())
  }

  /**
   * The record left in `dir` by an earlier run for the same identity and sizes, or `undefined` when
   * there is none. A record for something else is an error: resuming it would mix two snapshots.
   */
  static async load(
    dir: string,
    expected: Omit<ProgressIdentity, 'snapshotId'> & { snapshotId?: string },
    sizes: Record<BlobKind, number>
  ): Promise<TransferProgress | undefined> {
    const file = path.join(dir, PROGRESS_FILE)
    const text = await readTextIfExists(file)
    if (text === undefined) return undefined
    const record = parseRecord(text, file, expected)
    // An upload learns its snapshot ID from the record: it was assigned by the metadata upload.
    const identity: ProgressIdentity = { ...expected, snapshotId: expected.snapshotId ?? record.snapshotId }
    for (const key of ['operation', 'canisterId', 'snapshotId', 'fingerprint'] as const) {
      if (record[key] !== identity[key]) {
        const elsewhere =
          expected.operation === 'copy'
            ? `, or resume with the 'from-canister' and 'snapshot-id' of the interrupted copy`
            : `, or point 'path' at the directory of that transfer`
        throw new ProgressRecordError(
          `${file} belongs to another transfer (${key} ${record[key]}, expected ${identity[key]}); ${startOver(expected.operation, record)}${elsewhere}.`
        )
      }
    }
    const blobs = Object.fromEntries(
      BLOB_KINDS.map((k) => {
        const saved = record.blobs[k]
        if (saved.size !== sizes[k]) throw new ProgressRecordError(`${file} records ${k} as ${saved.size} bytes, expected ${sizes[k]}; ${startOver(expected.operation, record)}.`)
        return [k, SliceSet.fromRanges(sliceCount(sizes[k]), saved.done)]
      })
    ) as Record<BlobKind, SliceSet>
    const loaded = new TransferProgress(file, identity, sizes, blobs, new Set(record.chunks))
    loaded.dirty = false
    return loaded
  }

  /** Slices and chunks already done, for resumed-progress accounting. */
  doneBytes(sliceBytes: (kind: BlobKind, index: number) => number, chunkBytes: (hashHex: string) => number): number {
    let total = 0
    for (const kind of BLOB_KINDS) for (const [start, end] of this.blobs[kind].toRanges()) for (let i = start; i < end; i++) total += sliceBytes(kind, i)
    for (const hash of this.chunks) total += chunkBytes(hash)
    return total
  }

  markSlice(kind: BlobKind, index: number): void {
    this.blobs[kind].add(index)
    this.dirty = true
  }

  markChunk(hashHex: string): void {
    this.chunks.add(hashHex)
    this.dirty = true
  }

  /**
   * Writes the record if it changed; concurrent callers share one write. `flushData` runs between
   * capturing the record and writing it, so the data the record lists is durable first.
   */
  async save(flushData?: () => Promise<void>): Promise<void> {
    while (this.pending !== undefined) await this.pending
    if (!this.dirty) return
    this.dirty = false
    this.pending = this.write(flushData).finally(() => {
      this.pending = undefined
    })
    await this.pending
  }

  async remove(): Promise<void> {
    while (this.pending !== undefined) await this.pending
    await fs.rm(this.file, { force: true })
  }

  private async write(flushData?: () => Promise<void>): Promise<void> {
    // Captured before the data flush, so every slice it lists is on disk once the flush returns.
    const record: ProgressRecord = {
      version: FORMAT_VERSION,
      ...this.identity,
      blobs: Object.fromEntries(
        BLOB_KINDS.map((k) => [k, { size: this.sizes[k], done: this.blobs[k].toRanges() }])
      ) as ProgressRecord['blobs'],
      chunks: [...this.chunks].sort()
    }
    await flushData?.()
    const tmp = `${this.file}.tmp`
    await fs.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`)
    await fs.rename(tmp, this.file)
  }
}

/**
 * What to do with a record that cannot be resumed: delete it, which starts `operation` over. The
 * upload or copy the record was filling left a snapshot, which a new run does not reuse, so it is
 * named for deletion (`filling`: the record's canister and snapshot, or the canister alone when the
 * record is unreadable).
 */
function startOver(operation: ProgressIdentity['operation'], filling: { operation: ProgressIdentity['operation']; canisterId: string; snapshotId?: string }): string {
  if (filling.operation === 'download') return `delete it to start the ${operation} over`
  const partial = filling.snapshotId === undefined ? 'the snapshot it was filling' : `snapshot ${filling.snapshotId}`
  return `delete it to start the ${operation} over (${partial} stays on ${filling.canisterId} until 'operation: delete' removes it)`
}

function parseRecord(text: string, file: string, expected: Pick<ProgressIdentity, 'operation' | 'canisterId'>): ProgressRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ProgressRecordError(`${file} is not valid JSON; ${startOver(expected.operation, expected)}.`)
  }
  const record = value as Partial<ProgressRecord>
  const ok =
    record.version === FORMAT_VERSION &&
    (record.operation === 'download' || record.operation === 'upload' || record.operation === 'copy') &&
    typeof record.canisterId === 'string' &&
    typeof record.snapshotId === 'string' &&
    typeof record.fingerprint === 'string' &&
    Array.isArray(record.chunks) &&
    record.blobs !== undefined &&
    BLOB_KINDS.every((k) => {
      const b = record.blobs?.[k]
      return b !== undefined && typeof b.size === 'number' && Array.isArray(b.done)
    })
  if (!ok) throw new ProgressRecordError(`${file} is not a progress record of this tool (version ${FORMAT_VERSION}); ${startOver(expected.operation, expected)}.`)
  return record as ProgressRecord
}
