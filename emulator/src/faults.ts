/**
 * HTTP-level fault injection for reliability tests: the next N requests that match an endpoint kind
 * and/or a method name fail in a chosen way, or execute and then lose their response.
 */

export type EndpointKind = 'status' | 'call' | 'query' | 'read_state'

/** `503` / `429`: a text error; `reset`: the socket is destroyed; `hang`: no answer until close. */
export type FailureMode = 503 | 429 | 'reset' | 'hang'

export interface FaultMatch {
  /** Only requests to this endpoint kind; any when omitted. */
  endpoint?: EndpointKind
  /** Only calls/queries of this method (e.g. `take_canister_snapshot`); any when omitted. */
  method?: string
}

export interface FailNextOptions extends FaultMatch {
  mode: FailureMode
  /** How many matching requests fail; default 1. */
  count?: number
}

export interface DropResponseOptions {
  /** Only update calls of this method; any when omitted. */
  method?: string
  count?: number
}

interface Rule {
  match: FaultMatch
  remaining: number
}

export class HttpFaults {
  private readonly failures: (Rule & { mode: FailureMode })[] = []
  private readonly drops: Rule[] = []

  /** Makes the next `count` matching requests fail with `mode` before they are processed. */
  failNext(options: FailNextOptions): void {
    this.failures.push({ match: { endpoint: options.endpoint, method: options.method }, mode: options.mode, remaining: positive(options.count ?? 1) })
  }

  /** The next `count` matching update calls execute, but their HTTP response is replaced by a reset. */
  dropResponse(options: DropResponseOptions = {}): void {
    this.drops.push({ match: { endpoint: 'call', method: options.method }, remaining: positive(options.count ?? 1) })
  }

  /** How many armed failures and drops have not fired yet (tests assert their fault was hit). */
  pending(): number {
    return [...this.failures, ...this.drops].reduce((sum, rule) => sum + rule.remaining, 0)
  }

  clear(): void {
    this.failures.length = 0
    this.drops.length = 0
  }

  /** Consumes and returns the failure for this request, if one is armed. */
  takeFailure(endpoint: EndpointKind, method: string | undefined): FailureMode | undefined {
    const rule = take(this.failures, endpoint, method)
    return rule?.mode
  }

  takeDrop(method: string): boolean {
    return take(this.drops, 'call', method) !== undefined
  }
}

function take<R extends Rule>(rules: R[], endpoint: EndpointKind, method: string | undefined): R | undefined {
  const index = rules.findIndex(
    (r) => (r.match.endpoint === undefined || r.match.endpoint === endpoint) && (r.match.method === undefined || r.match.method === method)
  )
  if (index < 0) return undefined
  const rule = rules[index] as R
  rule.remaining -= 1
  if (rule.remaining <= 0) rules.splice(index, 1)
  return rule
}

function positive(count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Fault count must be a positive integer, got ${count}`)
  return count
}
