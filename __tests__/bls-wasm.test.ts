/**
 * The WebAssembly certificate check must answer exactly as the agent's own (noble) check does:
 * yes for every genuine signature, no for everything else, including points that decode but lie
 * outside the prime-order subgroup.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import { bls12_381 as bls } from '@noble/curves/bls12-381'
import { blsVerify as agentBlsVerify } from '@icp-sdk/core/agent'
import { randomBytes } from 'node:crypto'
import { FIELD_ORDER, G2_GENERATOR_HEX, loadWasmBlsVerify, type BlsVerify } from '../src/core/ic/bls-wasm.js'

const DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'

/** The agent treats a throw like a `false`: both fail the certificate. */
const accepts = async (verify: (pk: Uint8Array, sig: Uint8Array, msg: Uint8Array) => boolean | Promise<boolean>, pk: Uint8Array, sig: Uint8Array, msg: Uint8Array): Promise<boolean> => {
  try {
    return await verify(pk, sig, msg)
  } catch {
    return false
  }
}

const keyPair = () => {
  const secret = bls.utils.randomSecretKey()
  return { secret, pk: bls.getPublicKeyForShortSignatures(secret) }
}
const sign = (msg: Uint8Array, secret: Uint8Array) => bls.signShortSignature(msg, secret, { DST })

/** A compressed G1 encoding of a point on the curve that is not in the r-order subgroup. */
function pointOutsideSubgroup(): Uint8Array {
  const { Fp } = bls.fields
  for (let x = 1n; ; x++) {
    const y2 = Fp.add(Fp.pow(x, 3n), 4n)
    let y: bigint
    try {
      y = Fp.sqrt(y2)
    } catch {
      continue
    }
    if (Fp.mul(y, y) !== y2) continue
    const point = bls.G1.Point.fromAffine({ x, y })
    if (point.isTorsionFree()) continue
    const bytes = Buffer.from(x.toString(16).padStart(96, '0'), 'hex')
    bytes[0] = (bytes[0] ?? 0) | 0x80 | (y > (Fp.ORDER - 1n) / 2n ? 0x20 : 0)
    return bytes
  }
}

let wasmVerify: BlsVerify

/** Both checks refuse each (key, signature, message). */
async function expectBothRefuse(cases: Array<[Uint8Array, Uint8Array, Uint8Array]>): Promise<void> {
  for (const [key, signature, message] of cases) {
    expect(await accepts(agentBlsVerify, key, signature, message)).toBe(false)
    expect(await accepts(wasmVerify, key, signature, message)).toBe(false)
  }
}

beforeAll(async () => {
  wasmVerify = await loadWasmBlsVerify()
})

describe('WebAssembly BLS certificate check', () => {
  it('accepts every genuine signature the agent accepts', async () => {
    for (let i = 0; i < 8; i++) {
      const { secret, pk } = keyPair()
      const msg = randomBytes(i * 13)
      const sig = sign(msg, secret)
      expect(await agentBlsVerify(pk, sig, msg)).toBe(true)
      expect(wasmVerify(pk, sig, msg)).toBe(true)
    }
  })

  it('refuses a signature over another message, by another key, or altered in one bit', async () => {
    const { secret, pk } = keyPair()
    const other = keyPair()
    const msg = randomBytes(48)
    const sig = sign(msg, secret)
    const flipped = Uint8Array.from(sig)
    flipped[47] = (flipped[47] ?? 0) ^ 1
    await expectBothRefuse([
      [pk, sig, Uint8Array.from([...msg.subarray(1), 0])],
      [other.pk, sig, msg],
      [pk, sign(msg, other.secret), msg],
      [pk, flipped, msg]
    ])
  })

  it('refuses malformed signatures: wrong length, infinity, off the curve, outside the subgroup', async () => {
    const { secret, pk } = keyPair()
    const msg = randomBytes(32)
    const sig = sign(msg, secret)
    const infinity = new Uint8Array(48)
    infinity[0] = 0xc0
    const offCurve = Uint8Array.from(sig)
    offCurve.fill(0xff, 1)
    const outside = pointOutsideSubgroup()
    await expectBothRefuse([sig.subarray(0, 47), Uint8Array.from([...sig, 0]), infinity, offCurve, outside].map((bad) => [pk, bad, msg]))
  })

  it('refuses a malformed public key instead of trusting it', async () => {
    const { secret, pk } = keyPair()
    const msg = randomBytes(32)
    const sig = sign(msg, secret)
    const infinity = new Uint8Array(96)
    infinity[0] = 0xc0
    await expectBothRefuse([pk.subarray(0, 95), infinity, Uint8Array.from(pk).fill(0xff, 1)].map((bad) => [bad, sig, msg]))
  })

  it('pairs with the standard G2 generator and hashes into the right field', () => {
    expect(G2_GENERATOR_HEX).toBe(Buffer.from(bls.G2.Point.BASE.toBytes(true)).toString('hex'))
    expect(FIELD_ORDER).toBe(bls.fields.Fp.ORDER)
  })

  it('compiles once per process', async () => {
    expect(await loadWasmBlsVerify()).toBe(wasmVerify)
  })
})
