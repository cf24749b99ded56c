import { describe, expect, it } from '@jest/globals'
import type { CommandResult } from '../src/core/commands/types.js'
import { failureMessage, formatBytes, summaryRows, toJson, toOutputs } from '../src/core/report.js'

const ok: CommandResult = {
  operation: 'snapshot',
  principal: 'aaaaa-aa',
  dryRun: false,
  results: [
    { canisterId: 'c1', operation: 'snapshot', outcome: 'ok', snapshotId: 's1', takenAt: '2026-01-01T00:00:00.000Z', totalSize: 1024n, moduleHash: 'h1', downtimeMs: 1500 },
    { canisterId: 'c2', operation: 'snapshot', outcome: 'ok', snapshotId: 's2', takenAt: '2026-01-01T00:00:01.000Z', totalSize: 2048n, moduleHash: 'h2', downtimeMs: 0 }
  ]
}

describe('report', () => {
  it('derives the step outputs from the first canister and all canisters', () => {
    expect(toOutputs(ok)).toEqual({
      'snapshot-id': 's1',
      'snapshot-ids': JSON.stringify({ c1: 's1', c2: 's2' }),
      snapshots: '[]',
      'taken-at': '2026-01-01T00:00:00.000Z',
      'total-size': '3072',
      'module-hash': 'h1',
      principal: 'aaaaa-aa'
    })
  })

  it('lists snapshots as JSON for list', () => {
    const list: CommandResult = { operation: 'list', principal: 'p', dryRun: false, results: [{ canisterId: 'c1', operation: 'list', outcome: 'ok', snapshots: [{ id: 's1', takenAtNs: 1_700_000_000_000_000_000n, totalSize: 5n }] }] }
    expect(JSON.parse(toOutputs(list).snapshots)).toEqual([{ canister: 'c1', id: 's1', takenAt: '2023-11-14T22:13:20.000Z', totalSize: 5 }])
    expect(summaryRows(list)).toEqual([['c1', 'list', 's1', '5 B', '2023-11-14T22:13:20.000Z', '', 'ok']])
  })

  it('has one summary row per canister with size, downtime and result', () => {
    expect(summaryRows(ok)).toEqual([
      ['c1', 'snapshot', 's1', '1.00 KiB', '2026-01-01T00:00:00.000Z', '1.5 s', 'ok'],
      ['c2', 'snapshot', 's2', '2.00 KiB', '2026-01-01T00:00:01.000Z', 'none', 'ok']
    ])
  })

  it('fails with one line naming every failed canister', () => {
    expect(failureMessage(ok)).toBeUndefined()
    const one: CommandResult = { ...ok, results: [{ canisterId: 'c1', operation: 'snapshot', outcome: 'failed', error: 'Boom. Do X.' }] }
    expect(failureMessage(one)).toBe('Boom. Do X.')
    const some: CommandResult = { ...ok, results: [...ok.results, { canisterId: 'c3', operation: 'snapshot', outcome: 'failed', error: 'Nope.' }] }
    expect(failureMessage(some)).toBe('snapshot failed for 1 of 3 canister(s): c3: Nope.')
  })

  it('renders sizes in binary units and bigints as JSON numbers', () => {
    expect([0n, 1023n, 1024n, 5n * 1024n ** 3n].map(formatBytes)).toEqual(['0 B', '1023 B', '1.00 KiB', '5.00 GiB'])
    expect(toJson(ok)).toMatchObject({ results: [{ totalSize: 1024 }, { totalSize: 2048 }] })
  })
})
