/**
 * Slice writes that run behind the calls: a download slot hands its slice to the disk and starts
 * its next call at once, instead of holding one of the `concurrency` call slots while the write
 * goes through libuv's thread pool (≈ 10 ms per 2 MB slice, 30–40 ms when the pool is busy, ~4%
 * of every slot's time at 300 ms per call). At most `limit` writes wait, so memory stays bounded.
 */
export class WriteBehind {
  private readonly pending = new Set<Promise<void>>()
  private failure: { error: unknown } | undefined

  constructor(private readonly limit: number) {}

  /** Starts `write` once fewer than `limit` are running; throws if an earlier write failed. */
  async add(write: () => Promise<void>): Promise<void> {
    while (this.pending.size >= this.limit) await Promise.race(this.pending)
    this.throwIfFailed()
    const running: Promise<void> = write()
      .catch((error: unknown) => {
        this.failure ??= { error }
      })
      .finally(() => this.pending.delete(running))
    this.pending.add(running)
  }

  /** Waits for every write; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle()
    this.throwIfFailed()
  }

  /** Waits for every write without throwing: before the files close or the resume record is saved. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending)
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error
  }
}
