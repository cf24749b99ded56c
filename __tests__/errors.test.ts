import { describe, expect, it } from '@jest/globals'
import {
  CertificateTimeErrorCode,
  CertificateVerificationErrorCode,
  CertifiedRejectErrorCode,
  HttpErrorCode,
  HttpFetchErrorCode,
  RejectError,
  TimeoutWaitingForResponseErrorCode,
  TransportError,
  TrustError,
  UncertifiedRejectErrorCode,
  type RequestId
} from '@icp-sdk/core/agent'
import {
  CanisterNotFoundError,
  ClockSkewError,
  EmptyCanisterError,
  IcRejectError,
  mapAgentError,
  NetworkUnreachableError,
  NotAControllerError,
  OutcomeUnknownError,
  OutOfCyclesError,
  RetryableError,
  RootKeyMismatchError,
  SnapshotLimitError,
  SnapshotNotFoundError,
  SnapshotOwnershipError,
  StopTimeoutError,
  TransientError
} from '../src/core/errors.js'

const CANISTER = 'rwlgt-iiaaa-aaaaa-aaaaa-cai'
const PRINCIPAL = 'xyxib-fyzwv-zov5q-2a4p6-bptfw-kygij-kgwkp-k5erd-2553v-q4c4l-nae'
const ctx = { canisterId: CANISTER, principal: PRINCIPAL, network: 'ic', host: 'https://icp-api.io', method: 'take_canister_snapshot' }
const requestId = new Uint8Array(32) as RequestId

function reject(code: 1 | 2 | 3 | 4 | 5, errorCode: string, message: string, certified = true): RejectError {
  return RejectError.fromCode(
    certified
      ? new CertifiedRejectErrorCode(requestId, code, message, errorCode)
      : new UncertifiedRejectErrorCode(requestId, code, message, errorCode, undefined)
  )
}

const cases: [unknown, new (...args: never[]) => Error][] = [
    [reject(5, 'IC0512', `Only the controllers of the canister ${CANISTER} can control it.\nCanister's controllers: aaaaa-aa\nSender's ID: ${PRINCIPAL}`), NotAControllerError],
    [reject(4, 'IC0406', 'The caller is not authorized to call this method.', false), NotAControllerError],
    [reject(3, 'IC0301', `Canister ${CANISTER} not found.`, false), CanisterNotFoundError],
    [reject(3, 'IC0305', `Could not find the snapshot ID ${CANISTER}-1 for canister ${CANISTER}.`), SnapshotNotFoundError],
    [reject(4, 'IC0406', `Canister ${CANISTER} has reached the maximum number of snapshots allowed: 10.`), SnapshotLimitError],
    [reject(4, 'IC0406', `The snapshot x does not belong to canister ${CANISTER}.`), SnapshotOwnershipError],
    [reject(4, 'IC0406', `Failed to create snapshot for empty canister ${CANISTER}:`), EmptyCanisterError],
    [reject(2, 'IC0207', 'Canister snapshotting failed with: `Canister x is out of cycles`'), OutOfCyclesError],
    [reject(5, 'IC0532', 'Canister cannot grow memory by 10 bytes due to insufficient cycles.'), OutOfCyclesError],
    [reject(2, 'IC0206', 'Stop canister request timed out'), StopTimeoutError],
    [reject(2, 'IC0210', `Canister ${CANISTER} is heap delta rate limited`), TransientError],
    [reject(5, 'IC0503', 'Canister called `ic0.trap` with message: boom'), IcRejectError],
    [TransportError.fromCode(new HttpFetchErrorCode(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))), NetworkUnreachableError],
    [TransportError.fromCode(new HttpErrorCode(503, 'Service Unavailable', [])), TransientError],
    [TransportError.fromCode(new HttpErrorCode(429, 'Too Many Requests', [])), TransientError],
    [TransportError.fromCode(new HttpErrorCode(404, 'Not Found', [])), NetworkUnreachableError],
    [TrustError.fromCode(new CertificateVerificationErrorCode('Invalid signature')), RootKeyMismatchError],
    [TrustError.fromCode(new CertificateTimeErrorCode(5, new Date(0), new Date(), 600_000, 'past')), ClockSkewError],
    [TransportError.fromCode(new TimeoutWaitingForResponseErrorCode('timed out')), OutcomeUnknownError],
    [Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }), NetworkUnreachableError]
]

describe('mapAgentError', () => {
  it.each(cases.map(([error, type], i) => [i, type.name, error, type] as const))('case %i maps to %s', (_i, _name, error, type) => {
    const mapped = mapAgentError(error, ctx)
    expect(mapped).toBeInstanceOf(type)
    expect(mapped.cause).toBe(error)
    expect(mapped.message).not.toContain('\n')
    expect(mapped.message.length).toBeLessThan(600)
  })

  it('tells a non-controller exactly which command adds it', () => {
    const mapped = mapAgentError(reject(5, 'IC0512', 'Only the controllers…'), ctx)
    expect(mapped.message).toContain(`Identity ${PRINCIPAL} is not a controller of canister ${CANISTER}`)
    expect(mapped.message).toContain(`icp canister settings update ${CANISTER} --add-controller ${PRINCIPAL} -n ic`)
    expect(mapped.message).toContain(`dfx canister update-settings ${CANISTER} --add-controller ${PRINCIPAL} --network ic`)
  })

  it('suggests replace at the snapshot limit', () => {
    expect(mapAgentError(reject(4, 'IC0406', 'has reached the maximum number of snapshots allowed: 10'), ctx).message).toMatch(/'replace'/)
  })

  it('classifies transient failures as retryable and outcomes as final', () => {
    expect(mapAgentError(TransportError.fromCode(new HttpErrorCode(503, 'x', [])), ctx)).toBeInstanceOf(RetryableError)
    expect(mapAgentError(TransportError.fromCode(new TimeoutWaitingForResponseErrorCode('t')), ctx)).toBeInstanceOf(RetryableError)
    expect(mapAgentError(reject(3, 'IC0305', 'x'), ctx)).not.toBeInstanceOf(RetryableError)
  })

  it('keeps an error that is already typed', () => {
    const typed = new SnapshotNotFoundError({ canisterId: CANISTER })
    expect(mapAgentError(typed, ctx)).toBe(typed)
  })
})

describe('clock skew', () => {
  it('maps the replica refusing the ingress expiry to ClockSkewError', () => {
    const body = 'Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: …'
    expect(mapAgentError(TransportError.fromCode(new HttpErrorCode(400, 'Bad Request', [], body)), ctx)).toBeInstanceOf(ClockSkewError)
    expect(mapAgentError(new Error(body), ctx)).toBeInstanceOf(ClockSkewError)
  })
})
