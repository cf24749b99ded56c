/**
 * Snapshot blobs move in slices of at most 2,000,000 bytes: the replica refuses larger reads
 * (`MAX_SLICE_SIZE_BYTES`, "Requested slice too large") and uploads must stay under the 2 MiB
 * ingress limit. dfx and icp use the same size.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_data
 */
export const SLICE_SIZE = 2_000_000

/** The three byte arrays of a snapshot that are read and written by offset. */
export type BlobKind = 'wasmModule' | 'wasmMemory' | 'stableMemory'

export const BLOB_KINDS: readonly BlobKind[] = ['wasmModule', 'wasmMemory', 'stableMemory']

export interface Slice {
  index: number
  offset: number
  size: number
}

export function sliceCount(size: number, sliceSize = SLICE_SIZE): number {
  return Math.ceil(size / sliceSize)
}

export function sliceAt(index: number, size: number, sliceSize = SLICE_SIZE): Slice {
  const offset = index * sliceSize
  return { index, offset, size: Math.min(sliceSize, size - offset) }
}

/**
 * Which slices of one blob are done, stored as sorted half-open index ranges so a progress file
 * stays a few bytes long for gigabytes of data.
 */
export class SliceSet {
  private readonly done = new Set<number>()

  constructor(readonly total: number) {}

  static fromRanges(total: number, ranges: ReadonlyArray<readonly [number, number]>): SliceSet {
    const set = new SliceSet(total)
    for (const [start, end] of ranges) {
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > total || start > end) {
        throw new RangeError(`slice range [${start}, ${end}) is outside 0..${total}`)
      }
      for (let i = start; i < end; i++) set.done.add(i)
    }
    return set
  }

  add(index: number): void {
    this.done.add(index)
  }

  has(index: number): boolean {
    return this.done.has(index)
  }

  get size(): number {
    return this.done.size
  }

  get complete(): boolean {
    return this.done.size === this.total
  }

  toRanges(): Array<[number, number]> {
    const ranges: Array<[number, number]> = []
    const sorted = [...this.done].sort((a, b) => a - b)
    for (const index of sorted) {
      const last = ranges[ranges.length - 1]
      if (last !== undefined && last[1] === index) last[1] = index + 1
      else ranges.push([index, index + 1])
    }
    return ranges
  }
}
