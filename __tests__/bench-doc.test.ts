/**
 * bench/run.ts with `--only`: the benchmarks that ran replace their own lines of docs/benchmarks.md,
 * and every other benchmark's lines stay.
 */
import { expect, it } from '@jest/globals'
import { linesOf, mergeEntries, parseEntries } from '../bench/doc-entries.js'

const HEADINGS = { models: 'Network (latency) models', results: 'Results', notes: 'Verdicts', exits: 'Non-zero exits' }
const DOC = [
  '# Benchmarks',
  '## Network (latency) models',
  '- `cli.bench.ts`: 300 ms',
  '- `copy.bench.ts`: old model',
  '## Results',
  '| benchmark | measurement | figures | verdict |',
  '|---|---|---|---|',
  '| cli | cold start | wall: 0.6 s | met |',
  '| copy | old row | wall: 9 s | – |',
  '| gone | a deleted benchmark | x | – |',
  '## Verdicts',
  '- `cli.bench.ts`: All CLI targets met.',
  '## Non-zero exits',
  '- `copy.bench.ts` exited with code 1',
  '## Why the missed targets are missed',
  '- `cli.bench.ts`: written by people, not a line of any benchmark'
].join('\n')

it('replaces the lines of the benchmarks that ran, keeps the others, and drops those of deleted benchmarks', () => {
  const fresh = new Map([['copy.bench.ts', { models: ['- `copy.bench.ts`: new model'], rows: ['| copy | new row | wall: 5 s | – |'], notes: [], exits: [] }]])
  const merged = mergeEntries(fresh, parseEntries(DOC, HEADINGS), (f) => f !== 'gone.bench.ts')
  expect([...merged.keys()]).toEqual(['cli.bench.ts', 'copy.bench.ts'])
  expect(linesOf(merged, 'models')).toEqual(['- `cli.bench.ts`: 300 ms', '- `copy.bench.ts`: new model'])
  expect(linesOf(merged, 'rows')).toEqual(['| cli | cold start | wall: 0.6 s | met |', '| copy | new row | wall: 5 s | – |'])
  expect(linesOf(merged, 'notes')).toEqual(['- `cli.bench.ts`: All CLI targets met.'])
  expect(linesOf(merged, 'exits')).toEqual([])
})
