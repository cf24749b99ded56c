import { describe, expect, it } from '@jest/globals'
import { Principal } from '@icp-sdk/core/principal'
import type { CanisterSnapshotMetadataKind, SnapshotDataClient } from '../src/core/transfer/client.js'
import { ReadAhead } from '../src/core/transfer/read-ahead.js'
import { SLICE_SIZE } from '../src/core/transfer/slices.js'

const canisterId = Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai')

/**
 * A snapshot whose blobs have the given sizes: reads inside a blob answer with a slice whose first
 * byte is its slice number + 1, reads past its end are refused as the replica refuses them.
 */
function snapshotOf(sizes: { wasmMemory: number; stableMemory: number }): { client: SnapshotDataClient; reads: string[] } {
  const reads: string[] = []
  const readCanisterSnapshotData = ({ kind }: { kind: CanisterSnapshotMetadataKind }): Promise<{ chunk: Uint8Array }> => {
    const [name, range] = Object.entries(kind)[0] as ['wasmMemory' | 'stableMemory', { offset: bigint; size: bigint }]
    reads.push(`${name}@${range.offset}`)
    const [offset, size] = [Number(range.offset), Number(range.size)]
    if (offset + size > sizes[name]) return Promise.reject(new Error(`Invalid subslice into ${name}: offset: ${offset}, size: ${size}`))
    const chunk = new Uint8Array(size)
    chunk[0] = offset / SLICE_SIZE + 1
    return Promise.resolve({ chunk })
  }
  return { client: { readCanisterSnapshotData } as unknown as SnapshotDataClient, reads }
}

describe('ReadAhead', () => {
  it('guesses the first slices of the heap and of stable memory, alternately, one read per free slot', () => {
    const { client, reads } = snapshotOf({ wasmMemory: 10 * SLICE_SIZE, stableMemory: 10 * SLICE_SIZE })
    const ahead = new ReadAhead({ client, canisterId, snapshotId: '00', slots: 5 })
    expect(reads).toEqual(['wasmMemory@0', 'stableMemory@0', `wasmMemory@${SLICE_SIZE}`, `stableMemory@${SLICE_SIZE}`, `wasmMemory@${2 * SLICE_SIZE}`])
    expect(ahead.started).toBe(5)
    expect(ahead.has('wasmMemory', 2)).toBe(true)
    expect(ahead.has('stableMemory', 2)).toBe(false)
    expect(ahead.has('wasmModule', 0)).toBe(false)
  })

  it('starts nothing when the metadata call takes the only slot', () => {
    const { client, reads } = snapshotOf({ wasmMemory: SLICE_SIZE, stableMemory: SLICE_SIZE })
    expect(new ReadAhead({ client, canisterId, snapshotId: '00', slots: 0 }).started).toBe(0)
    expect(reads).toEqual([])
  })

  it('hands out a slice once, and only when it has the size the metadata gives it', async () => {
    const { client } = snapshotOf({ wasmMemory: 3 * SLICE_SIZE, stableMemory: 3 * SLICE_SIZE })
    const ahead = new ReadAhead({ client, canisterId, snapshotId: '00', slots: 4 })
    const slice = await ahead.take('wasmMemory', 1, SLICE_SIZE)
    expect(slice?.length).toBe(SLICE_SIZE)
    expect(slice?.[0]).toBe(2)
    expect(ahead.has('wasmMemory', 1)).toBe(false)
    expect(await ahead.take('wasmMemory', 1, SLICE_SIZE)).toBeUndefined()
    // The last slice of a blob is shorter than the guess: read again by the transfer.
    expect(await ahead.take('stableMemory', 1, SLICE_SIZE - 10)).toBeUndefined()
    expect(ahead.usedCount).toBe(1)
  })

  it('turns a refused guess into "read it yourself", with no rejection left behind', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      // An empty stable memory and a heap of one slice: three of the four guesses are refused.
      const { client } = snapshotOf({ wasmMemory: SLICE_SIZE, stableMemory: 0 })
      const ahead = new ReadAhead({ client, canisterId, snapshotId: '00', slots: 4 })
      expect(await ahead.take('stableMemory', 0, SLICE_SIZE)).toBeUndefined()
      expect(await ahead.take('wasmMemory', 1, SLICE_SIZE)).toBeUndefined()
      expect((await ahead.take('wasmMemory', 0, SLICE_SIZE))?.length).toBe(SLICE_SIZE)
      // The one never asked for is dropped without a trace.
      ahead.discard()
      expect(ahead.has('stableMemory', 1)).toBe(false)
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
      expect(ahead.usedCount).toBe(1)
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('gives up a read still in flight when the step runs out of time', async () => {
    const never = { readCanisterSnapshotData: () => new Promise<never>(() => undefined) } as unknown as SnapshotDataClient
    const budget = new AbortController()
    const ahead = new ReadAhead({ client: never, canisterId, snapshotId: '00', slots: 1, signal: budget.signal })
    const taken = ahead.take('wasmMemory', 0, SLICE_SIZE)
    budget.abort(new Error('out of time'))
    expect(await taken).toBeUndefined()
  })
})
