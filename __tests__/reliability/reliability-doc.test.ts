/** docs/reliability.md shows exactly the rows the fault-matrix suites run. */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from '@jest/globals'
import { extractFaultTable, RELIABILITY_DOC } from './doc-table.js'
import { FAULT_CASES, renderFaultTable } from './fault-cases.js'

describe('docs/reliability.md', () => {
  it('carries the fault-matrix table of the suites (regenerate: npx tsx __tests__/reliability/write-doc.ts)', async () => {
    const table = extractFaultTable(await readFile(RELIABILITY_DOC, 'utf8'))
    expect(table).toBe(renderFaultTable())
  })

  it('covers every operation with one and several canisters and every fault kind', () => {
    const ops = new Set(FAULT_CASES.map((c) => c.operation))
    expect(ops).toEqual(new Set(['snapshot', 'rollback', 'delete', 'download', 'download-new', 'upload', 'prune']))
    for (const op of ['snapshot', 'rollback', 'delete', 'prune']) {
      expect(new Set(FAULT_CASES.filter((c) => c.operation === op).map((c) => c.canisters))).toEqual(new Set([1, 3]))
    }
    expect(new Set(FAULT_CASES.map((c) => c.fault))).toEqual(
      new Set(['http-503', 'http-429', 'reset', 'hang', 'drop', 'outage', 'stop-never-completes', 'out-of-cycles', 'rate-limit', 'rate-limit-persistent', 'clock-skew'])
    )
    expect(new Set(FAULT_CASES.map((c) => c.phase))).toEqual(new Set(['status', 'list', 'stop', 'take', 'load', 'start', 'delete', 'metadata', 'data', 'clock']))
  })
})
