/**
 * Runs transfer tasks with at most `concurrency` in flight (p-limit). The first failure stops new
 * tasks from starting; tasks already in flight finish (so their progress is recorded) before the
 * failure is rethrown.
 */
import pLimit from 'p-limit'

export interface PoolOptions {
  concurrency: number
  signal?: AbortSignal
}

export async function runPool<T>(items: Iterable<T>, worker: (item: T) => Promise<void>, options: PoolOptions): Promise<void> {
  const limit = pLimit(options.concurrency)
  let failure: { error: unknown } | undefined
  const tasks: Array<Promise<void>> = []
  for (const item of items) {
    tasks.push(
      limit(async () => {
        if (failure !== undefined || options.signal?.aborted) return
        try {
          await worker(item)
        } catch (error: unknown) {
          failure ??= { error }
        }
      })
    )
  }
  await Promise.all(tasks)
  if (failure !== undefined) throw failure.error
  options.signal?.throwIfAborted()
}
