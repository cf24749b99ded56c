/**
 * One fault-matrix test file's body: one emulator for the file; each row gets fresh canisters, one
 * injected fault, and every invariant of `harness.ts` checked afterwards. Clock-skew rows run in
 * `fault-matrix.clock.test.ts`: an agent corrects its clock once per lifetime, so they get their
 * own network.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { caseName, FAULT_CASES, type FaultCase } from './fault-cases.js'
import { runFaultCase, startFaultBench, type FaultBench } from './harness.js'

export function describeFaultMatrix(title: string, operations: FaultCase['operation'][], options: { backup: boolean }): void {
  const rows = FAULT_CASES.flatMap((c, index): [string, FaultCase, number][] =>
    operations.includes(c.operation) && c.fault !== 'clock-skew' ? [[caseName(c), c, index]] : []
  )
  let bench: FaultBench | undefined

  beforeAll(async () => {
    bench = await startFaultBench(options)
  })

  afterAll(async () => {
    await bench?.close()
  })

  describe(`fault matrix: ${title}`, () => {
    it('has rows for every operation of this file', () => {
      expect(new Set(rows.map(([, c]) => c.operation))).toEqual(new Set(operations))
    })

    it.each(rows)('%s', async (_name, faultCase, index) => {
      if (bench === undefined) throw new Error('the fault bench did not start')
      expect(await runFaultCase(bench, faultCase, index)).toEqual([])
    })
  })
}
