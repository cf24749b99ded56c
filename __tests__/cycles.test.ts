import { describe, expect, it } from '@jest/globals'
import {
  InsufficientCyclesError,
  assessSnapshotCycles,
  enforceCyclesCheck,
  estimateSnapshotBytes,
  formatCycles,
  parseMinCycles,
  snapshotTakeCost,
  storageCyclesPerDay,
  type CyclesStatus
} from '../src/core/cycles-check.js'

const GIB = 1n << 30n
const MIB = 1n << 20n
const T = 10n ** 12n
const B = 10n ** 9n
const CANISTER = 'rrkah-fqaaa-aaaaa-aaaaq-cai'

function status(p: Partial<Omit<CyclesStatus, 'memoryMetrics'>> & { heap?: bigint; stable?: bigint } = {}): CyclesStatus {
  return {
    cycles: p.cycles ?? 5n * T,
    freezingThreshold: p.freezingThreshold ?? 2_592_000n,
    idleCyclesBurnedPerDay: p.idleCyclesBurnedPerDay ?? 0n,
    memoryMetrics: {
      wasmMemorySize: p.heap ?? 64n * MIB,
      stableMemorySize: p.stable ?? 0n,
      globalMemorySize: 8n,
      wasmBinarySize: 2n * MIB,
      wasmChunkStoreSize: 0n
    }
  }
}

describe('the snapshot cost model', () => {
  it('estimates the size from heap, stable memory, globals, module and chunk store only', () => {
    expect(estimateSnapshotBytes(status({ heap: 100n, stable: 50n }).memoryMetrics)).toBe(100n + 50n + 8n + 2n * MIB)
  })

  it('matches the reference estimate of about 3.1e9 cycles for taking a 1 GiB snapshot', () => {
    expect(snapshotTakeCost(GIB)).toBe(5_000_000n + 2_000_000_000n + GIB)
    expect(Number(snapshotTakeCost(GIB)) / 1e9).toBeCloseTo(3.08, 2)
  })

  it('bills storage at 127,000 cycles per GiB per second (about 329B per GiB per 30 days)', () => {
    expect(storageCyclesPerDay(GIB)).toBe(127_000n * 86_400n)
    expect(Number(storageCyclesPerDay(GIB) * 30n) / 1e9).toBeCloseTo(329.2, 1)
  })
})

describe('assessSnapshotCycles', () => {
  it('is ok for a well-funded canister', () => {
    const a = assessSnapshotCycles(CANISTER, status())
    expect(a.level).toBe('ok')
    expect(a.message).toBeUndefined()
    expect(a.cyclesAfter).toBe(5n * T - a.takeCostCycles)
  })

  it('warns when the snapshot would push the canister under its freezing limit', () => {
    // 10 GiB of heap: the snapshot adds ~110B cycles/day of storage; 30 days of that is ~3.3T.
    const a = assessSnapshotCycles(CANISTER, status({ heap: 10n * GIB, cycles: 2n * T }))
    expect(a.level).toBe('warn')
    expect(a.freezingLimitAfter).toBeGreaterThan(a.cyclesAfter)
    expect(a.message).toMatch(new RegExp(`^Canister ${CANISTER} may be frozen or the snapshot refused \\(IC0532\\)`))
    expect(a.message).toContain('icp canister top-up')
  })

  it('warns when the canister would freeze within a week of the snapshot', () => {
    const a = assessSnapshotCycles(CANISTER, status({ cycles: 600n * B, idleCyclesBurnedPerDay: 100n * B, freezingThreshold: 86_400n }))
    expect(a.level).toBe('warn')
    expect(a.runwayDays).toBeGreaterThan(0)
    expect(a.runwayDays).toBeLessThan(7)
    expect(a.message).toMatch(/would freeze in about \d+\.\d days/)
  })

  it('fails below min-cycles, naming the input', () => {
    const a = assessSnapshotCycles(CANISTER, status({ cycles: 3n * T }), { minCycles: 3n * T })
    expect(a.level).toBe('fail')
    expect(a.message).toContain("below 'min-cycles' (3.00T)")
    expect(a.message).toContain("or lower 'min-cycles'")
    expect(assessSnapshotCycles(CANISTER, status({ cycles: 3n * T }), { minCycles: 2n * T }).level).toBe('ok')
  })

  it('with min-cycles, fails instead of warning when the canister would freeze', () => {
    const s = status({ heap: 10n * GIB, cycles: 2n * T })
    const a = assessSnapshotCycles(CANISTER, s, { minCycles: 1n })
    expect(a.level).toBe('fail')
    expect(a.message).toContain('below its freezing limit')
  })

  it('fails when the balance cannot even pay for the snapshot', () => {
    const a = assessSnapshotCycles(CANISTER, status({ cycles: 1n * B }), { minCycles: 0n })
    expect(a.cyclesAfter).toBeLessThan(0n)
    expect(a.level).toBe('fail')
    expect(a.message).toContain('would keep 0 cycles after the snapshot')
  })
})

describe('enforceCyclesCheck', () => {
  function logger() {
    const warnings: string[] = []
    return { warnings, warning: (m: string) => warnings.push(m), debug: () => undefined }
  }

  it('warns and lets the snapshot go ahead when an older replica sends no memory_metrics, min-cycles or not', () => {
    const poor = { ...status({ cycles: 1n * B }), memoryMetrics: undefined }
    const plain = logger()
    expect(enforceCyclesCheck(CANISTER, poor, plain)).toBeUndefined()
    expect(plain.warnings).toEqual([expect.stringMatching(new RegExp(`^Canister ${CANISTER}: the cycles pre-check was skipped because canister_status carries no memory_metrics`))])
    const withMin = logger()
    expect(enforceCyclesCheck(CANISTER, poor, withMin, { minCycles: 3n * T })).toBeUndefined()
    expect(withMin.warnings).toEqual([expect.stringContaining("'min-cycles' is not enforced")])
  })

  it('with memory_metrics, the same poor canister fails min-cycles', () => {
    expect(() => enforceCyclesCheck(CANISTER, status({ cycles: 1n * B }), logger(), { minCycles: 3n * T })).toThrow(InsufficientCyclesError)
  })
})

describe('parseMinCycles', () => {
  it.each([
    ['', undefined],
    ['2000000000000', 2n * T],
    ['2_000_000', 2_000_000n],
    ['500b', 500n * B],
    ['1.5T', 1_500_000_000_000n],
    ['3M', 3_000_000n]
  ])('%p → %p', (raw, expected) => {
    expect(parseMinCycles(raw)).toBe(expected)
  })

  it.each(['lots', '-1', '1.5', '1e12', '2 T'])('refuses %p, naming the input', (raw) => {
    expect(() => parseMinCycles(raw)).toThrow(/^Input 'min-cycles' must be a/)
  })
})

it('formats cycles like icp', () => {
  expect([formatCycles(1_234_000_000_000n), formatCycles(450n * B), formatCycles(999n)]).toEqual(['1.23T', '450.00B', '999'])
})
