/**
 * A runner clock off by more than the ingress expiry window: the error names the skew and the fix
 * in one line, and the agent's clock resync (which reads `/time` at the callee, `aaaaa-aa` for
 * management calls, which no boundary node routes) goes to a routable canister instead.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CertificateTimeErrorCode, HttpAgent, HttpErrorCode, TransportError, TrustError } from '@icp-sdk/core/agent'
import { IDL } from '@icp-sdk/core/candid'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import { Principal } from '@icp-sdk/core/principal'
import { Emulator } from '../emulator/src/index.js'
import { createAgent } from '../src/core/ic/agent.js'
import { ClockSkewError, mapAgentError } from '../src/core/errors.js'

const ctx = { canisterId: 'uxrrr-q7777-77774-qaaaq-cai', host: 'https://icp-api.io' }
const MINUTE = 60_000

describe('the clock-skew error', () => {
  it("states the skew from the replica's expiry refusal, in one line with the fix", () => {
    // The replica's wording (dfinity/ic rs/validator/src/ingress_validation.rs): its own time is the
    // minimum allowed expiry; the agent sent its own time plus 5 minutes.
    const body =
      'Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: 2026-12-05 09:00:00.123456789 UTC, ' +
      'Maximum allowed expiry: 2026-12-05 09:05:30.123456789 UTC, Provided expiry:        2026-12-05 08:55:00 UTC'
    const mapped = mapAgentError(TransportError.fromCode(new HttpErrorCode(400, 'Bad Request', [], body)), ctx)
    expect(mapped).toBeInstanceOf(ClockSkewError)
    expect((mapped as ClockSkewError).skewMs).toBe(10 * MINUTE + 123)
    expect(mapped.message).toMatch(/^This machine's clock is about 10 min behind https:\/\/icp-api\.io, .*NTP/)
    expect(mapped.message).not.toContain('\n')
  })

  it('reads the older multi-line wording and a clock that runs ahead', () => {
    const body =
      'Specified ingress_expiry not within expected range:\nMinimum allowed expiry: 2022-05-10 09:03:31.088945300 UTC\n' +
      'Maximum allowed expiry: 2022-05-10 09:09:01.088945300 UTC\nProvided expiry:        2022-05-10 16:00:29.709 UTC\nLocal replica time:     2022-05-10 09:03:31.088946700 UTC'
    const mapped = mapAgentError(new Error(body), ctx)
    expect(mapped.message).toMatch(/about 6 h 52 min ahead of/)
  })

  it("states the skew from a certificate's time", () => {
    const now = new Date('2026-12-05T09:00:00Z')
    const certificateTime = new Date(now.getTime() - 20 * MINUTE)
    const mapped = mapAgentError(TrustError.fromCode(new CertificateTimeErrorCode(5, certificateTime, now, 0, 'past')), ctx)
    expect(mapped).toBeInstanceOf(ClockSkewError)
    expect(mapped.message).toMatch(/about 20 min ahead of/)
  })
})

describe("the agent's clock resync behind a boundary node", () => {
  const identity = Ed25519KeyIdentity.generate()
  let net: Emulator
  let canisterId: Principal
  const arg = (): Uint8Array => new Uint8Array(IDL.encode([IDL.Record({ canister_id: IDL.Principal })], [{ canister_id: canisterId }]))

  beforeAll(async () => {
    net = await Emulator.start({ seed: 'clock-skew-test' })
    canisterId = await net.createCanister({ controllers: [identity.getPrincipal()] })
  })

  afterAll(async () => {
    await net.close()
  })

  it('cannot resync with the stock agent: /time at aaaaa-aa is refused by the boundary node', async () => {
    // What the stock agent does after an expiry error on a management call: it resyncs at the
    // callee, learns nothing (the reads fail quietly) and sends the call again, for ever.
    net.faults.skewClock(10 * MINUTE)
    try {
      const stock = await HttpAgent.create({ host: net.url, identity, rootKey: net.rootKey, retryTimes: 0 })
      await stock.syncTime(Principal.managementCanister())
      expect(stock.hasSyncedTime()).toBe(false)
      expect(stock.getTimeDiffMsecs()).toBe(0)
    } finally {
      net.faults.skewClock(0)
    }
  })

  it("resyncs at the call's canister and succeeds with the project's agent", async () => {
    net.faults.skewClock(10 * MINUTE)
    try {
      const agent = await createAgent({ host: net.url, identity, rootKey: { kind: 'pinned', key: net.rootKey, mainnet: false }, retryTimes: 0 })
      const result = await agent.call(Principal.managementCanister(), { methodName: 'canister_status', arg: arg(), effectiveCanisterId: canisterId })
      expect(result.response.status).toBe(200)
      expect(result.response.body).toMatchObject({ status: 'replied' })
      expect(agent.hasSyncedTime()).toBe(true)
      expect(Math.round(agent.getTimeDiffMsecs() / MINUTE)).toBe(10)
    } finally {
      net.faults.skewClock(0)
    }
  })
})
