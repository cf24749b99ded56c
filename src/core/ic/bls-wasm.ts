/**
 * The IC's certificate check (BLS12-381, signature in G1, key in G2) on `mcl-wasm`.
 *
 * The agent checks every new certificate with `@noble/curves` in plain JavaScript: ≈ 30 ms of CPU
 * each, and ≈ 300 ms for the first one of a process while the JIT warms up. A snapshot transfer sees
 * a new certificate every few slices, so that check alone used most of a core. The same pairing in
 * WebAssembly takes ≈ 9 ms from the first call on. Only the curve arithmetic moves: hashing the
 * message to the curve's field (RFC 9380 `expand_message_xmd`) stays with noble, and the check
 * itself is the textbook e(H(m), −pk) · e(σ, g₂) = 1 with both G2 points prepared once.
 */
import { hash_to_field } from '@noble/curves/abstract/hash-to-curve'
import { sha256 } from '@noble/hashes/sha2'
import * as mcl from 'mcl-wasm'

export type BlsVerify = (pk: Uint8Array, sig: Uint8Array, msg: Uint8Array) => boolean

/** The IC's domain separation tag for certificate signatures (interface spec, "Certification"). */
const DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'
/** p of BLS12-381's base field; a test pins it to noble's (importing noble's curve costs ≈ 90 ms). */
export const FIELD_ORDER =
  0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn
const G1_COMPRESSED_BYTES = 48
const G2_COMPRESSED_BYTES = 96
/**
 * The standard G2 generator, compressed. Written out because asking noble for it runs a subgroup
 * check that costs ≈ 100 ms in a cold process; a test pins it to noble's value.
 */
export const G2_GENERATOR_HEX =
  '93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e' +
  '024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8'

let ready: Promise<BlsVerify> | undefined

/** Compiles the WebAssembly once per process; every caller shares the result. */
export function loadWasmBlsVerify(): Promise<BlsVerify> {
  ready ??= initialise()
  return ready
}

async function initialise(): Promise<BlsVerify> {
  // Loading mcl again would swap the module under points prepared by whoever loaded it first (the
  // emulator's signer does, when a test or a benchmark runs both in one process).
  if (mcl.curveType !== mcl.BLS12_381) await mcl.init(mcl.BLS12_381)
  // The IC encodes points the way ZCash and Ethereum do, and hashes with RFC 9380's SSWU map.
  mcl.setETHserialization(true)
  mcl.setMapToMode(mcl.IRTF)
  // Points from the wire are refused unless they lie in the prime-order subgroup.
  mcl.verifyOrderG1(true)
  mcl.verifyOrderG2(true)
  const generator = new mcl.G2()
  generator.deserialize(Buffer.from(G2_GENERATOR_HEX, 'hex'))
  const preparedGenerator = new mcl.PrecomputedG2(generator)
  const preparedKeys = new Map<string, mcl.PrecomputedG2>()

  const prepareNegatedKey = (pk: Uint8Array): mcl.PrecomputedG2 => {
    const id = Buffer.from(pk).toString('hex')
    let prepared = preparedKeys.get(id)
    if (prepared === undefined) {
      if (pk.length !== G2_COMPRESSED_BYTES) throw new Error(`a BLS public key has ${G2_COMPRESSED_BYTES} bytes, not ${pk.length}`)
      const key = new mcl.G2()
      key.deserialize(pk)
      if (key.isZero()) throw new Error('the BLS public key is the point at infinity')
      prepared = new mcl.PrecomputedG2(mcl.neg(key))
      preparedKeys.set(id, prepared)
    }
    return prepared
  }

  return (pk, sig, msg) => {
    const preparedKey = prepareNegatedKey(pk)
    if (sig.length !== G1_COMPRESSED_BYTES) return false
    const signature = new mcl.G1()
    try {
      signature.deserialize(sig)
    } catch {
      return false
    }
    if (signature.isZero()) return false
    const pairingProduct = mcl.precomputedMillerLoop2(hashToG1(msg), preparedKey, signature, preparedGenerator)
    return mcl.finalExp(pairingProduct).isOne()
  }
}

/** RFC 9380 hash_to_curve: two field elements, each mapped (SSWU, isogeny, cofactor), then added. */
function hashToG1(msg: Uint8Array): mcl.G1 {
  const [[u0], [u1]] = hash_to_field(msg, 2, { DST, p: FIELD_ORDER, m: 1, k: 128, expand: 'xmd', hash: sha256 })
  return mcl.add(toFp(u0).mapToG1(), toFp(u1).mapToG1())
}

function toFp(value: bigint | undefined): mcl.Fp {
  if (value === undefined) throw new Error('hash_to_field returned too few elements')
  const element = new mcl.Fp()
  element.setStr(value.toString(16), 16)
  return element
}
