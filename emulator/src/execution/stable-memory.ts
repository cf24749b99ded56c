/**
 * A canister's stable memory: a byte store that grows in 64 KiB Wasm pages, survives upgrades, and
 * can undo one message's changes cheaply. Undo works with a page journal (the first write to an
 * existing page saves its old bytes) rather than a copy of the whole store, because stable
 * memories reach hundreds of MiB while a message usually touches a few pages.
 */
export const WASM_PAGE_SIZE = 65_536

/**
 * One JS typed array holds the store. Node caps a typed array at 4 GiB, so this is the emulator's
 * limit (the IC allows 500 GiB); growing beyond it fails like a grow beyond the IC's limit.
 */
export const MAX_STABLE_PAGES = 65_535

export class StableMemory {
  private bytes: Uint8Array
  private pages: number
  /** Bytes at or beyond this offset of `bytes` are known to be zero (never written or re-zeroed). */
  private cleanFrom: number
  private journal: Map<number, Uint8Array> | undefined
  private pagesAtBegin = 0

  constructor(initial?: Uint8Array) {
    if (initial !== undefined && initial.length % WASM_PAGE_SIZE !== 0) {
      throw new RangeError(`stable memory size ${initial.length} is not a multiple of ${WASM_PAGE_SIZE} bytes`)
    }
    this.bytes = initial === undefined ? new Uint8Array(0) : initial.slice()
    this.pages = this.bytes.length / WASM_PAGE_SIZE
    this.cleanFrom = this.bytes.length
  }

  get sizeInPages(): number {
    return this.pages
  }

  get sizeInBytes(): number {
    return this.pages * WASM_PAGE_SIZE
  }

  /** The live bytes, without a copy; valid until the next grow. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.sizeInBytes)
  }

  /** Returns the previous size in pages, or -1 if the store would exceed `limitPages`. */
  grow(additionalPages: number, limitPages: number = MAX_STABLE_PAGES): number {
    const previous = this.pages
    const next = previous + additionalPages
    if (!Number.isSafeInteger(next) || next > limitPages || next > MAX_STABLE_PAGES) return -1
    const oldEnd = previous * WASM_PAGE_SIZE
    const newEnd = next * WASM_PAGE_SIZE
    if (newEnd > this.bytes.length) {
      // Geometric growth keeps repeated small grows linear overall.
      const capacity = Math.min(Math.max(newEnd, this.bytes.length * 2), MAX_STABLE_PAGES * WASM_PAGE_SIZE)
      const larger = new Uint8Array(capacity)
      larger.set(this.bytes.subarray(0, oldEnd))
      this.bytes = larger
      this.cleanFrom = oldEnd
    }
    // Pages dropped by a rollback may still hold bytes; a fresh page must read as zeros.
    if (this.cleanFrom > oldEnd) this.bytes.fill(0, oldEnd, Math.min(this.cleanFrom, newEnd))
    this.pages = next
    return previous
  }

  /** Copies `length` bytes at `offset` into `target`; the caller has checked the bounds. */
  read(offset: number, target: Uint8Array): void {
    target.set(this.bytes.subarray(offset, offset + target.length))
  }

  /** Writes `source` at `offset`; the caller has checked the bounds. */
  write(offset: number, source: Uint8Array): void {
    if (source.length === 0) return
    if (this.journal !== undefined) this.saveOriginalPages(offset, source.length)
    this.bytes.set(source, offset)
    this.cleanFrom = Math.max(this.cleanFrom, offset + source.length)
  }

  /** Starts recording what a message changes, so that `rollback` can undo it. */
  begin(): void {
    this.journal = new Map()
    this.pagesAtBegin = this.pages
  }

  commit(): void {
    this.journal = undefined
  }

  rollback(): void {
    if (this.journal === undefined) return
    for (const [page, original] of this.journal) this.bytes.set(original, page * WASM_PAGE_SIZE)
    this.pages = this.pagesAtBegin
    this.journal = undefined
  }

  /** A copy of the live bytes (for snapshots and upgrades that must not share the store). */
  copy(): Uint8Array {
    return this.bytes.slice(0, this.sizeInBytes)
  }

  private saveOriginalPages(offset: number, length: number): void {
    const journal = this.journal
    if (journal === undefined) return
    const first = Math.floor(offset / WASM_PAGE_SIZE)
    // Pages grown during this message vanish on rollback, so only older pages need their bytes.
    const last = Math.min(Math.floor((offset + length - 1) / WASM_PAGE_SIZE), this.pagesAtBegin - 1)
    for (let page = first; page <= last; page++) {
      if (!journal.has(page)) {
        const start = page * WASM_PAGE_SIZE
        journal.set(page, this.bytes.slice(start, start + WASM_PAGE_SIZE))
      }
    }
  }
}
