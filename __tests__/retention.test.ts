import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/core/errors.js'
import { parseKeep, parseMaxAge, parseProtect, parseRetentionPolicy } from '../src/core/retention/parse.js'
import {
  RetentionBlockedError,
  planDeletions,
  previewRotation,
  planReplacement,
  type RetainedSnapshot,
  type RetentionPolicy
} from '../src/core/retention/policy.js'

const CANISTER_SUFFIX = '00000000000000010101'
const HOUR_NS = 3_600_000_000_000n

/** Snapshot number `n` taken `n` hours after the epoch; IDs carry the counter like the IC's. */
function snap(n: number): RetainedSnapshot {
  return { id: n.toString(16).padStart(16, '0') + CANISTER_SUFFIX, takenAtNs: BigInt(n) * HOUR_NS }
}

function policy(p: Partial<RetentionPolicy>): RetentionPolicy {
  return { protect: new Set(), ...p }
}

const ids = (list: { id: string }[]) => list.map((s) => s.id)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => snap(from + i))

describe('planDeletions', () => {
  it('keeps the snapshot just taken and the keep-1 newest before it', () => {
    const all = range(1, 5)
    const plan = planDeletions(all, policy({ keep: 3 }), { nowNs: 6n * HOUR_NS, justTakenId: snap(5).id })
    expect(ids(plan.map((d) => d.snapshot))).toEqual(ids([snap(1), snap(2)]))
    expect(plan.every((d) => d.reason === 'beyond-keep')).toBe(true)
  })

  it('keep counts the newest snapshots when pruning without a new one', () => {
    const plan = planDeletions(range(1, 4), policy({ keep: 1 }), { nowNs: 0n })
    expect(ids(plan.map((d) => d.snapshot))).toEqual(ids(range(1, 3)))
  })

  it('never deletes the snapshot just taken, even when it is older than max-age', () => {
    const justTaken = snap(1)
    const plan = planDeletions([justTaken], policy({ keep: 1, maxAgeMs: 1 }), { nowNs: 100n * HOUR_NS, justTakenId: justTaken.id })
    expect(plan).toEqual([])
  })

  it('deletes unprotected snapshots older than max-age', () => {
    const plan = planDeletions(range(1, 5), policy({ maxAgeMs: 2.5 * 3600_000 }), { nowNs: 5n * HOUR_NS })
    expect(plan.map((d) => [d.snapshot.id, d.reason])).toEqual([
      [snap(1).id, 'older-than-max-age'],
      [snap(2).id, 'older-than-max-age']
    ])
  })

  it('applies keep and max-age together: either one rotates a snapshot out', () => {
    const plan = planDeletions(range(1, 6), policy({ keep: 4, maxAgeMs: 2.5 * 3600_000 }), { nowNs: 6n * HOUR_NS })
    expect(plan.map((d) => [d.snapshot.id, d.reason])).toEqual([
      [snap(1).id, 'beyond-keep'],
      [snap(2).id, 'beyond-keep'],
      [snap(3).id, 'older-than-max-age']
    ])
  })

  it('never deletes protected snapshots and does not count them towards keep', () => {
    const protect = new Set([snap(1).id, snap(4).id])
    const plan = planDeletions(range(1, 6), policy({ keep: 2, protect }), { nowNs: 7n * HOUR_NS, justTakenId: snap(6).id })
    expect(ids(plan.map((d) => d.snapshot))).toEqual(ids([snap(2), snap(3)]))
  })

  it('keeps a protected snapshot however old it is', () => {
    const protect = new Set([snap(1).id])
    const plan = planDeletions(range(1, 3), policy({ maxAgeMs: 1, protect }), { nowNs: 10n * HOUR_NS, justTakenId: snap(3).id })
    expect(ids(plan.map((d) => d.snapshot))).toEqual([snap(2).id])
  })

  it('orders equal timestamps by the counter in the ID', () => {
    const same = [0, 1, 2].map((n) => ({ ...snap(n), takenAtNs: 42n }))
    const plan = planDeletions(same.reverse(), policy({ keep: 1 }), { nowNs: 42n })
    expect(ids(plan.map((d) => d.snapshot))).toEqual(ids([snap(0), snap(1)]))
  })

  it('deletes nothing without keep or max-age', () => {
    expect(planDeletions(range(1, 10), policy({}), { nowNs: 0n })).toEqual([])
  })
})

describe('planReplacement', () => {
  it('needs no replacement below the limit', () => {
    expect(planReplacement('c', range(1, 9), policy({ keep: 3 }))).toEqual({})
  })

  it('replaces the oldest snapshot at the limit', () => {
    expect(planReplacement('c', range(1, 10).reverse(), policy({ keep: 3 })).replace?.id).toBe(snap(1).id)
  })

  it('skips protected snapshots when choosing what to replace', () => {
    const protect = new Set([snap(1).id, snap(2).id])
    expect(planReplacement('c', range(1, 10), policy({ keep: 3, protect })).replace?.id).toBe(snap(3).id)
  })

  it('refuses when every snapshot at the limit is protected, naming protect', () => {
    const protect = new Set(ids(range(1, 10)))
    expect(() => planReplacement('rrkah-fqaaa-aaaaa-aaaaq-cai', range(1, 10), policy({ keep: 3, protect }))).toThrow(RetentionBlockedError)
    expect(() => planReplacement('rrkah-fqaaa-aaaaa-aaaaq-cai', range(1, 10), policy({ keep: 3, protect }))).toThrow(/'protect'/)
  })
})

describe('previewRotation (dry run of a snapshot with retention)', () => {
  it('counts the upcoming snapshot towards keep', () => {
    const preview = previewRotation('c', range(1, 5), policy({ keep: 3 }), 6n * HOUR_NS)
    expect(preview.replace).toBeUndefined()
    expect(ids(preview.deletions.map((d) => d.snapshot))).toEqual(ids(range(1, 3)))
  })

  it('shows the replacement at the limit and what is deleted after it', () => {
    const preview = previewRotation('c', range(1, 10), policy({ keep: 8, protect: new Set([snap(1).id]) }), 11n * HOUR_NS)
    expect(preview.replace?.id).toBe(snap(2).id)
    expect(ids(preview.deletions.map((d) => d.snapshot))).toEqual([snap(3).id])
  })
})

describe('parsing the retention inputs', () => {
  it.each([
    ['', undefined],
    ['1', 1],
    [' 10 ', 10]
  ])('keep %p → %p', (raw, expected) => {
    expect(parseKeep(raw)).toBe(expected)
  })

  it.each(['0', '11', 'abc', '2.5', '-1'])('refuses keep %p, naming the input', (raw) => {
    expect(() => parseKeep(raw)).toThrow(InputError)
    expect(() => parseKeep(raw)).toThrow(`Input 'keep' must be an integer from 1 to 10`)
  })

  it.each([
    ['14d', 14 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 30 * 60_000],
    ['1w2d', 9 * 86_400_000],
    ['', undefined]
  ])('max-age %p → %p ms', (raw, expected) => {
    expect(parseMaxAge(raw)).toBe(expected)
  })

  it.each(['14', 'd', '14 days', '0d', '1.5d', '-3h'])('refuses max-age %p, naming the input', (raw) => {
    expect(() => parseMaxAge(raw)).toThrow(`Input 'max-age' must be a duration such as 14d`)
  })

  it('parses protect as a set of lowercase snapshot IDs', () => {
    const raw = `${snap(1).id.toUpperCase()}, ${snap(2).id}\n0x${snap(3).id}`
    expect([...parseProtect(raw)]).toEqual(ids(range(1, 3)))
    expect(() => parseProtect('not-hex')).toThrow(`Input 'protect' must be a snapshot ID`)
  })

  it('builds a policy only when keep or max-age is set', () => {
    expect(parseRetentionPolicy({ keep: '', maxAge: '', protect: '' })).toBeUndefined()
    expect(parseRetentionPolicy({ keep: '3', maxAge: '1d', protect: snap(1).id })).toEqual({
      keep: 3,
      maxAgeMs: 86_400_000,
      protect: new Set([snap(1).id])
    })
    expect(() => parseRetentionPolicy({ keep: '', maxAge: '', protect: snap(1).id })).toThrow(
      `Input 'protect' must be used together with 'keep' or 'max-age'`
    )
  })
})
