/**
 * The replica's own reject texts and codes (with their dfinity/ic sources, in the fixture) map to
 * the error the action reports: the IC0406 variants are told apart by text alone, so a change of
 * wording upstream must show up here first.
 */
import { describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { CertifiedRejectErrorCode, HttpErrorCode, RejectError, TransportError, type RequestId } from '@icp-sdk/core/agent'
import * as errors from '../src/core/errors.js'

interface ReplicaReject {
  errorCode: string
  rejectCode: number
  message: string
  source: string
  expect: string
}

interface BoundaryAnswer {
  httpStatus: number
  body: string
  source: string
  expect: string
}

const fixture = JSON.parse(await readFile(new URL('../__fixtures__/replica-errors.json', import.meta.url), 'utf8')) as {
  canister: string
  rejects: ReplicaReject[]
  boundary: BoundaryAnswer[]
}
const ctx = { canisterId: fixture.canister, principal: '2vxsx-fae', network: 'ic', method: 'take_canister_snapshot' }

function classNamed(name: string): new (...args: never[]) => Error {
  const type = (errors as Record<string, unknown>)[name]
  if (typeof type !== 'function') throw new Error(`src/core/errors.ts exports no class ${name}`)
  return type as new (...args: never[]) => Error
}

describe('replica reject texts', () => {
  it('covers every code the action maps', () => {
    const codes = new Set(fixture.rejects.map((r) => r.errorCode))
    for (const code of ['IC0406', 'IC0512', 'IC0301', 'IC0305', 'IC0207', 'IC0206', 'IC0534']) expect(codes).toContain(code)
    for (const r of fixture.rejects) expect(r.source).toMatch(/^rs\//)
  })

  it.each(fixture.rejects.map((r) => [r.errorCode, r.expect, r] as const))('%s maps to %s', (_code, expected, r) => {
    const agentError = RejectError.fromCode(new CertifiedRejectErrorCode(new Uint8Array(32) as RequestId, r.rejectCode, r.message, r.errorCode))
    const mapped = errors.mapAgentError(agentError, { ...ctx, host: 'https://icp-api.io' })
    expect(mapped).toBeInstanceOf(classNamed(expected))
    expect(mapped.name).toBe(expected)
    expect(mapped.message).toContain(fixture.canister)
    expect(mapped.message).not.toContain('\n')
  })

  it.each(fixture.boundary.map((b) => [b.httpStatus, b.expect, b] as const))("the boundary node's HTTP %s maps to %s", (_status, expected, b) => {
    const agentError = TransportError.fromCode(new HttpErrorCode(b.httpStatus, 'Bad Request', [['x-ic-error-cause', 'canister_not_found']], b.body))
    const mapped = errors.mapAgentError(agentError, { ...ctx, host: 'https://icp-api.io' })
    expect(mapped).toBeInstanceOf(classNamed(expected))
    expect(mapped.message).toContain(fixture.canister)
  })

  it('tells a reserved-cycles limit apart from a lack of cycles: raising the limit is the fix, not a top-up', () => {
    const r = fixture.rejects.find((x) => x.errorCode === 'IC0534') as ReplicaReject
    const mapped = errors.mapReject({ rejectCode: r.rejectCode, errorCode: r.errorCode, message: r.message }, ctx)
    expect(mapped.message).toContain('--reserved-cycles-limit')
    expect(mapped.message).not.toMatch(/top-up|top it up/i)
    // Still an out-of-cycles condition for callers that branch on the family.
    expect(mapped).toBeInstanceOf(errors.OutOfCyclesError)
  })
})
