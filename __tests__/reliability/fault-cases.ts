/**
 * The fault matrix as data: which fault is injected where, for which operation, and what the step
 * must end with. The suites (`fault-matrix.*.test.ts`) run these rows; `docs/reliability.md` shows
 * them, and `reliability-doc.test.ts` fails when the two disagree (`npx tsx
 * __tests__/reliability/write-doc.ts` rewrites the doc's table from this file).
 */

export type FaultOperation = 'snapshot' | 'rollback' | 'delete' | 'download' | 'download-new' | 'upload' | 'prune'

/** Where the fault hits: the management method (or HTTP endpoint) of that phase. */
export type Phase = 'status' | 'list' | 'stop' | 'take' | 'load' | 'start' | 'delete' | 'metadata' | 'data' | 'clock'

export type Fault =
  | 'http-503'
  | 'http-429'
  | 'reset'
  /** No answer at all (count 1): the step must still end within its timeout. */
  | 'hang'
  /** The call executes; its response is lost (the connection resets). */
  | 'drop'
  /** Every request of the phase answers 503: a sustained outage. */
  | 'outage'
  /** The canister stays `stopping` until the IC's stop timeout: IC0206. */
  | 'stop-never-completes'
  | 'out-of-cycles'
  /** One IC0210 heap-delta rate limit reject. */
  | 'rate-limit'
  /** IC0210 on every attempt. */
  | 'rate-limit-persistent'
  /** The network's clock 10 minutes ahead: beyond the 5-minute ingress expiry window. */
  | 'clock-skew'

/** `ok`: every canister succeeds. `target-fails`: the targeted canister fails with `error`, the others
 * succeed. `all-fail`: every canister fails with `error`. `ok-or-timeout`: success, or a typed
 * timeout error, but within the step's timeout. `ok-or-error`: success, or `error` for every
 * canister (the agent may correct its clock and go on). */
export type Expectation =
  | { kind: 'ok' }
  | { kind: 'target-fails'; error: string }
  | { kind: 'all-fail'; error: string }
  | { kind: 'ok-or-timeout' }
  | { kind: 'ok-or-error'; error: string }

export interface FaultCase {
  operation: FaultOperation
  canisters: number
  phase: Phase
  fault: Fault
  expect: Expectation
}

/** The management method behind each phase, per operation (prune and delete delete; upload uploads). */
export function methodOf(operation: FaultOperation, phase: Phase): { method?: string } {
  switch (phase) {
    case 'status':
      return { method: 'canister_status' }
    case 'list':
      return { method: 'list_canister_snapshots' }
    case 'stop':
      return { method: 'stop_canister' }
    case 'take':
      return { method: 'take_canister_snapshot' }
    case 'load':
      return { method: 'load_canister_snapshot' }
    case 'start':
      return { method: 'start_canister' }
    case 'delete':
      return { method: 'delete_canister_snapshot' }
    case 'metadata':
      return { method: operation === 'upload' ? 'upload_canister_snapshot_metadata' : 'read_canister_snapshot_metadata' }
    case 'data':
      return { method: operation === 'upload' ? 'upload_canister_snapshot_data' : 'read_canister_snapshot_data' }
    case 'clock':
      return {}
  }
}

const PHASES: Record<FaultOperation, Phase[]> = {
  snapshot: ['status', 'list', 'stop', 'take', 'start'],
  rollback: ['status', 'list', 'stop', 'take', 'load', 'start'],
  delete: ['status', 'list', 'delete'],
  download: ['list', 'metadata', 'data'],
  'download-new': ['status', 'stop', 'take', 'start', 'metadata', 'data'],
  upload: ['metadata', 'data', 'status', 'stop', 'load', 'start'],
  prune: ['list', 'delete']
}

/** Operations that accept several canisters in one step (download and upload take one). */
const MULTI: FaultOperation[] = ['snapshot', 'rollback', 'delete', 'prune']

/** Phases whose calls are update calls (a response can be lost after execution). */
const UPDATE_PHASES: Phase[] = ['stop', 'take', 'load', 'start', 'delete', 'list', 'metadata', 'data']

const OK: Expectation = { kind: 'ok' }

function casesFor(operation: FaultOperation): FaultCase[] {
  const out: FaultCase[] = []
  const counts = MULTI.includes(operation) ? [1, 3] : [1]
  for (const canisters of counts) {
    const add = (phase: Phase, fault: Fault, expect: Expectation): void => {
      out.push({ operation, canisters, phase, fault, expect })
    }
    for (const phase of PHASES[operation]) {
      add(phase, 'http-503', OK)
      add(phase, 'http-429', OK)
      add(phase, 'reset', OK)
      if (canisters === 1) add(phase, 'hang', { kind: 'ok-or-timeout' })
      if (UPDATE_PHASES.includes(phase)) add(phase, 'drop', OK)
    }
    // A sustained outage where the step changes state: it fails, says so, and leaves no canister stopped.
    const outagePhase: Phase | undefined = { snapshot: 'take', rollback: 'load', delete: 'delete', download: 'data', 'download-new': 'take', upload: 'data', prune: 'delete' }[operation] as Phase
    add(outagePhase, 'outage', { kind: 'all-fail', error: 'TransientError' })
    if (PHASES[operation].includes('stop')) add('stop', 'stop-never-completes', { kind: 'target-fails', error: 'StopTimeoutError' })
    if (operation === 'snapshot' || operation === 'download-new') {
      add('take', 'out-of-cycles', { kind: 'target-fails', error: 'OutOfCyclesError' })
      add('take', 'rate-limit', OK)
      add('take', 'rate-limit-persistent', { kind: 'target-fails', error: 'TransientError' })
    }
    if (operation === 'rollback' || operation === 'upload') {
      add('load', 'out-of-cycles', { kind: 'target-fails', error: 'OutOfCyclesError' })
      add('load', 'rate-limit', OK)
      add('load', 'rate-limit-persistent', { kind: 'target-fails', error: 'TransientError' })
    }
    if (operation === 'upload') add('metadata', 'rate-limit', OK)
    // The agent resyncs its clock at the canister (src/core/ic/agent.ts) and goes on.
    add('clock', 'clock-skew', OK)
  }
  return out
}

export const FAULT_CASES: FaultCase[] = (Object.keys(PHASES) as FaultOperation[]).flatMap(casesFor)

export function caseName(c: FaultCase): string {
  return `${c.operation} ×${c.canisters}: ${c.fault} at ${c.phase}`
}

const FAULT_TEXT: Record<Fault, string> = {
  'http-503': 'HTTP 503 (once)',
  'http-429': 'HTTP 429 (once)',
  reset: 'connection reset (once)',
  hang: 'no answer (once) until timeout',
  drop: 'call executed, response lost',
  outage: 'HTTP 503 on every request',
  'stop-never-completes': 'stop never completes (IC0206)',
  'out-of-cycles': 'out of cycles (IC0207/IC0532)',
  'rate-limit': 'heap-delta rate limit IC0210 (once)',
  'rate-limit-persistent': 'heap-delta rate limit IC0210 (always)',
  'clock-skew': 'network clock +10 min (beyond expiry window)'
}

function expectText(e: Expectation): string {
  switch (e.kind) {
    case 'ok':
      return 'success'
    case 'ok-or-timeout':
      return 'success, or a timeout error within `timeout`'
    case 'target-fails':
      return `\`${e.error}\` for the faulted canister, others succeed`
    case 'all-fail':
      return `\`${e.error}\` for every canister`
    case 'ok-or-error':
      return `success, or \`${e.error}\` for every canister`
  }
}

export const TABLE_START = '<!-- fault-matrix:start -->'
export const TABLE_END = '<!-- fault-matrix:end -->'

/** The markdown table `docs/reliability.md` carries between the markers. */
export function renderFaultTable(cases: FaultCase[] = FAULT_CASES): string {
  const rows = cases.map((c) => `| ${c.operation} | ${c.canisters} | ${c.phase} | ${FAULT_TEXT[c.fault]} | ${expectText(c.expect)} |`)
  return ['| Operation | Canisters | Phase | Fault | Expected outcome |', '|---|---|---|---|---|', ...rows].join('\n')
}
