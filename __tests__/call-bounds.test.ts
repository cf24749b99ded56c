/**
 * Bounds on calls that never answer (per-attempt budgets, the step's deadline as a signal) and the
 * typed throw of a nested step's failure. The fault matrix proves them end to end; these pin the
 * building blocks' contracts.
 */
import { describe, expect, it } from '@jest/globals'
import { Deadline } from '../src/core/deadline.js'
import {
  errorOfRow,
  failedRow,
  OperationTimeoutError,
  OutcomeUnknownError,
  OutOfCyclesError,
  RetryableError,
  SnapshotActionError,
  StopTimeoutError,
  TransientError
} from '../src/core/errors.js'
import { withRetry } from '../src/core/retry.js'

const never = <T>(): Promise<T> => new Promise<T>(() => undefined)
const noSleep = async (): Promise<void> => undefined

describe('withRetry and calls that never answer', () => {
  it('abandons an idempotent attempt after its budget and sends the call again', async () => {
    let calls = 0
    const budgets: number[] = []
    const result = await withRetry(() => (++calls === 1 ? never<string>() : Promise.resolve('done')), {
      canisterId: 'aaaaa-aa',
      method: 'list_canister_snapshots',
      idempotent: true,
      sleep: noSleep,
      attemptTimeoutMs: (attempt) => {
        budgets.push(attempt)
        return 5
      }
    })
    expect(result).toBe('done')
    expect(calls).toBe(2)
    expect(budgets).toEqual([1, 2])
  })

  it('does not send a non-idempotent call again when an attempt got no answer', async () => {
    let calls = 0
    const failing = withRetry(
      () => {
        calls++
        return never<void>()
      },
      { canisterId: 'aaaaa-aa', method: 'upload_canister_snapshot_metadata', idempotent: false, sleep: noSleep, attemptTimeoutMs: () => 5 }
    )
    await expect(failing).rejects.toBeInstanceOf(OutcomeUnknownError)
    expect(calls).toBe(1)
  })

  it('ends an attempt in flight with the signal’s reason when the signal aborts', async () => {
    const controller = new AbortController()
    const reason = new OperationTimeoutError('Downloading a snapshot of aaaaa-aa', 3)
    const pending = withRetry(() => never<void>(), { canisterId: 'aaaaa-aa', method: 'read_canister_snapshot_data', idempotent: true, signal: controller.signal })
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
  })
})

describe('Deadline', () => {
  const spent = (): Deadline => {
    let now = 0
    const deadline = new Deadline(3, () => now)
    now = 3_000
    return deadline
  }

  it('gives a signal that aborts with a typed timeout once the budget is used up', () => {
    const signal = spent().signal('Uploading the snapshot to aaaaa-aa')
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBeInstanceOf(OperationTimeoutError)
    expect((signal.reason as Error).message).toContain('Uploading the snapshot to aaaaa-aa did not finish within 3 s')
  })

  it('bounds a promise that never settles', async () => {
    await expect(spent().bound(never<void>(), 'Deleting snapshot x')).rejects.toBeInstanceOf(OperationTimeoutError)
  })

  it('leaves a signal unaborted while budget remains', () => {
    expect(new Deadline(60).signal('anything').aborted).toBe(false)
  })
})

describe('errorOfRow', () => {
  const ctx = { canisterId: 'aaaaa-aa', method: 'load_canister_snapshot' }
  const reword = (m: string): string => `Snapshot 00 was uploaded to aaaaa-aa but loading it failed: ${m}`
  it.each([
    ['StopTimeoutError', StopTimeoutError, () => new StopTimeoutError(ctx)],
    ['OutOfCyclesError', OutOfCyclesError, () => new OutOfCyclesError(ctx, 'no cycles')],
    ['TransientError', TransientError, () => new TransientError('HTTP 503')],
    ['OperationTimeoutError', OperationTimeoutError, () => new OperationTimeoutError('The rollback', 60)]
  ] as const)('throws the %s a nested run failed with, with the outer message', (name, type, make) => {
    const row = failedRow({ canisterId: 'aaaaa-aa' }, make(), 'no answer.')
    const error = errorOfRow(row, 'no result', reword)
    expect(error).toBeInstanceOf(type)
    expect(error).toBeInstanceOf(SnapshotActionError)
    expect(error.name).toBe(name)
    expect(error.message).toBe('Snapshot 00 was uploaded to aaaaa-aa but loading it failed: no answer.')
    expect(error.stack).toContain(name)
  })

  it('keeps the retryable family of a transient failure', () => {
    expect(errorOfRow(failedRow({}, new TransientError('HTTP 503')), 'failed')).toBeInstanceOf(RetryableError)
  })

  it('keeps the row plain data: the error is not one of its fields', () => {
    expect(failedRow({ canisterId: 'aaaaa-aa' }, new TransientError('HTTP 503'))).toEqual({ canisterId: 'aaaaa-aa', outcome: 'failed', error: 'HTTP 503', errorName: 'TransientError' })
  })

  it.each([
    ['no row', undefined],
    ['a skipped row', { outcome: 'skipped', note: 'not changed' }],
    ['a row built without its error', { outcome: 'failed', error: 'Taking a snapshot of aaaaa-aa failed.', errorName: 'TypeError' }]
  ])('falls back to SnapshotActionError for %s', (_what, row) => {
    const error = errorOfRow(row, 'Taking a snapshot of aaaaa-aa failed.')
    expect(error.constructor).toBe(SnapshotActionError)
    expect(error.name).toBe('SnapshotActionError')
    expect(error.message).toBe('Taking a snapshot of aaaaa-aa failed.')
  })
})
