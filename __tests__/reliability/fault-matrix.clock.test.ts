/**
 * Clock-skew rows of the fault matrix: the network's clock runs 10 minutes ahead, beyond the
 * 5-minute ingress expiry window. The JS agent corrects its clock offset once per lifetime and then
 * keeps it, so every row gets a fresh network (and fresh agents) instead of sharing one.
 */
import { describe, expect, it } from '@jest/globals'
import { caseName, FAULT_CASES, type FaultCase } from './fault-cases.js'
import { runFaultCase, startFaultBench } from './harness.js'

const rows = FAULT_CASES.flatMap((c, index): [string, FaultCase, number][] => (c.fault === 'clock-skew' ? [[caseName(c), c, index]] : []))

describe('fault matrix: clock skew', () => {
  it('has a clock-skew row for every operation', () => {
    expect(new Set(rows.map(([, c]) => c.operation))).toEqual(new Set(FAULT_CASES.map((c) => c.operation)))
  })

  it.each(rows)('%s', async (_name, faultCase, index) => {
    const bench = await startFaultBench({ backup: faultCase.operation === 'upload' })
    try {
      expect(await runFaultCase(bench, faultCase, index)).toEqual([])
    } finally {
      await bench.close()
    }
  })
})
