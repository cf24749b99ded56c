/**
 * The transfer engine's pure parts: slicing, the resume record, retry decisions and backoff, the
 * bounded pool and the progress lines.
 */
import { describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentError, ErrorKindEnum, HttpErrorCode, UncertifiedRejectUpdateErrorCode } from '@icp-sdk/core/agent'
import { NotAControllerError, OutcomeUnknownError, TransientError } from '../src/core/errors.js'
import { runPool } from '../src/core/transfer/pool.js'
import { PROGRESS_FILE, TransferProgress } from '../src/core/transfer/progress-file.js'
import { formatBytes, formatDuration, ProgressLog } from '../src/core/transfer/progress-log.js'
import { withRetry } from '../src/core/retry.js'
import { SLICE_SIZE, sliceAt, sliceCount, SliceSet } from '../src/core/transfer/slices.js'

const noSleep = (): Promise<void> => Promise.resolve()

describe('slices', () => {
  it.each([
    [0, 0],
    [1, 1],
    [SLICE_SIZE, 1],
    [SLICE_SIZE + 1, 2],
    [64 * 1024 * 1024, 34]
  ])('%i bytes make %i slices of at most 2,000,000 bytes', (size, count) => {
    expect(sliceCount(size)).toBe(count)
    let covered = 0
    for (let i = 0; i < count; i++) {
      const slice = sliceAt(i, size)
      expect(slice.offset).toBe(covered)
      expect(slice.size).toBeGreaterThan(0)
      expect(slice.size).toBeLessThanOrEqual(SLICE_SIZE)
      covered += slice.size
    }
    expect(covered).toBe(size)
  })

  it('stores done slices as ranges and reads them back', () => {
    const set = new SliceSet(10)
    for (const i of [0, 1, 2, 5, 7, 8]) set.add(i)
    expect(set.toRanges()).toEqual([
      [0, 3],
      [5, 6],
      [7, 9]
    ])
    const back = SliceSet.fromRanges(10, set.toRanges())
    expect([...Array(10).keys()].filter((i) => back.has(i))).toEqual([0, 1, 2, 5, 7, 8])
    expect(back.complete).toBe(false)
    expect(() => SliceSet.fromRanges(10, [[8, 11]])).toThrow(/outside 0..10/)
  })
})

describe('resume record', () => {
  const sizes = { wasmModule: 100, wasmMemory: 5 * SLICE_SIZE, stableMemory: 0 }
  const identity = { operation: 'download' as const, canisterId: 'aaaaa-aa', snapshotId: 'ab'.repeat(18), fingerprint: 'f'.repeat(64) }

  it('survives a restart and refuses a record of another transfer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'progress-'))
    try {
      const progress = TransferProgress.fresh(dir, identity, sizes)
      progress.markSlice('wasmMemory', 0)
      progress.markSlice('wasmMemory', 3)
      progress.markChunk('cd'.repeat(32))
      let flushed = 0
      await progress.save(async () => {
        flushed++
      })
      expect(flushed).toBe(1)

      const loaded = await TransferProgress.load(dir, identity, sizes)
      expect(loaded?.blobs.wasmMemory.toRanges()).toEqual([
        [0, 1],
        [3, 4]
      ])
      expect(loaded?.chunks.has('cd'.repeat(32))).toBe(true)
      const upload = await TransferProgress.load(dir, { ...identity, snapshotId: undefined }, sizes)
      expect(upload?.identity.snapshotId).toBe(identity.snapshotId)

      await expect(TransferProgress.load(dir, { ...identity, snapshotId: 'cd'.repeat(18) }, sizes)).rejects.toThrow(/belongs to another transfer \(snapshotId/)
      await expect(TransferProgress.load(dir, identity, { ...sizes, wasmModule: 101 })).rejects.toThrow(/records wasmModule as 100 bytes/)
      await writeFile(join(dir, PROGRESS_FILE), '{"version": 1')
      await expect(TransferProgress.load(dir, identity, sizes)).rejects.toThrow(/not valid JSON; delete it/)
      await progress.remove()
      expect(await TransferProgress.load(dir, identity, sizes)).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('writes nothing when nothing changed since the last save', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'progress-'))
    try {
      const progress = TransferProgress.fresh(dir, identity, sizes)
      await progress.save()
      const first = await readFile(join(dir, PROGRESS_FILE), 'utf8')
      let flushed = 0
      await progress.save(async () => {
        flushed++
      })
      expect(flushed).toBe(0)
      expect(await readFile(join(dir, PROGRESS_FILE), 'utf8')).toBe(first)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('withRetry', () => {
  const http = (status: number): AgentError => new AgentError(new HttpErrorCode(status, 'x', []), ErrorKindEnum.Transport)
  const reject = (code: string): AgentError =>
    new AgentError(new UncertifiedRejectUpdateErrorCode(new Uint8Array(32) as never, 2, 'rate limited', code), ErrorKindEnum.Reject)

  it.each([
    ['HTTP 503', http(503)],
    ['HTTP 429', http(429)],
    ['IC0210 rate limiting', reject('IC0210')],
    ['a lost response', new OutcomeUnknownError('timeout')]
  ])('retries %s for idempotent calls', async (_name, error) => {
    let calls = 0
    const result = await withRetry(
      async () => {
        calls++
        if (calls < 3) throw error
        return 'done'
      },
      { canisterId: 'aaaaa-aa', method: 'read_canister_snapshot_data', idempotent: true, sleep: noSleep }
    )
    expect(result).toBe('done')
    expect(calls).toBe(3)
  })

  it('does not retry a permanent error, and maps it', async () => {
    let calls = 0
    const failing = withRetry(
      async () => {
        calls++
        throw new NotAControllerError({ canisterId: 'aaaaa-aa' })
      },
      { canisterId: 'aaaaa-aa', method: 'upload_canister_snapshot_data', idempotent: true, sleep: noSleep }
    )
    await expect(failing).rejects.toBeInstanceOf(NotAControllerError)
    expect(calls).toBe(1)
  })

  it('retries a non-idempotent call only when the network refused it', async () => {
    let calls = 0
    const lost = withRetry(
      async () => {
        calls++
        throw new OutcomeUnknownError('the response was lost')
      },
      { canisterId: 'aaaaa-aa', method: 'upload_canister_snapshot_metadata', idempotent: false, sleep: noSleep }
    )
    await expect(lost).rejects.toBeInstanceOf(OutcomeUnknownError)
    expect(calls).toBe(1)

    calls = 0
    await withRetry(
      async () => {
        if (++calls === 1) throw new TransientError('HTTP 503')
      },
      { canisterId: 'aaaaa-aa', method: 'upload_canister_snapshot_metadata', idempotent: false, sleep: noSleep }
    )
    expect(calls).toBe(2)
  })

  it('backs off exponentially within the cap and gives up after the attempts', async () => {
    const delays: number[] = []
    const failing = withRetry(
      async () => {
        throw new TransientError('HTTP 503')
      },
      {
        canisterId: 'aaaaa-aa',
        method: 'read_canister_snapshot_data',
        idempotent: true,
        policy: { attempts: 5, baseDelayMs: 100, maxDelayMs: 500 },
        random: () => 1,
        sleep: async (ms) => {
          delays.push(ms)
        }
      }
    )
    await expect(failing).rejects.toBeInstanceOf(TransientError)
    expect(delays).toEqual([100, 200, 400, 500])
  })
})

describe('runPool', () => {
  it('never exceeds the concurrency and stops starting work after the first failure', async () => {
    let active = 0
    let peak = 0
    const started: number[] = []
    const run = runPool(
      Array.from({ length: 50 }, (_, i) => i),
      async (i) => {
        started.push(i)
        active++
        peak = Math.max(peak, active)
        await new Promise((resolve) => setImmediate(resolve))
        active--
        if (i === 10) throw new Error('slice 10 failed')
      },
      { concurrency: 4 }
    )
    await expect(run).rejects.toThrow('slice 10 failed')
    expect(peak).toBe(4)
    expect(started.length).toBeLessThan(20)
    expect(active).toBe(0)
  })
})

describe('ProgressLog', () => {
  it('writes at most one line per interval with percent, MB/s and ETA', () => {
    let now = 0
    const lines: string[] = []
    const log = new ProgressLog({ info: (m) => lines.push(m) }, { label: 'Downloading', totalBytes: 100e6, resumedBytes: 20e6, intervalMs: 5000, now: () => now })
    for (let i = 0; i < 40; i++) {
      now += 250
      log.add(1e6)
    }
    expect(lines).toEqual(['Downloading: 40.0% (38.1 MiB of 95.4 MiB) at 4.0 MB/s, ETA 15s', 'Downloading: 60.0% (57.2 MiB of 95.4 MiB) at 4.0 MB/s, ETA 10s'])
    now += 10_000
    log.add(40e6)
    log.finish()
    expect(lines.at(-1)).toBe('Downloading: 100.0% (95.4 MiB of 95.4 MiB) at 4.0 MB/s, done in 20s')
  })

  it('formats sizes and durations for people', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536 * 1024 * 1024)).toBe('1.5 GiB')
    expect(formatDuration(4.25)).toBe('4.3s')
    expect(formatDuration(125)).toBe('2m05s')
    expect(formatDuration(7260)).toBe('2h01m')
  })
})
