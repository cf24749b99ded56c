/**
 * Certificate signing on `mcl-wasm`: ≈ 1 ms per signature against ≈ 6 ms (idle machine) to 11 ms
 * (during a transfer) for the same multiplication in JavaScript. The certifier waits three times its
 * last signing between shared signatures, so the slow signer stretched every call's wait for its
 * certificate to ≈ 40 ms median on top of the modelled latency; the network the emulator models
 * has no such cost (its signing is part of the round the latency stands for).
 *
 * BLS signatures are deterministic, so these bytes equal noble's (a test pins that): clients see
 * the same certificates, only sooner.
 */
import { hash_to_field } from '@noble/curves/abstract/hash-to-curve'
import { bls12_381 } from '@noble/curves/bls12-381'
import { sha256 } from '@noble/hashes/sha2'
import * as mcl from 'mcl-wasm'

export type BlsSign = (message: Uint8Array) => Uint8Array

/** The IC's domain separation tag for certificate signatures (interface spec, "Certification"). */
const DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_'

let ready: Promise<void> | undefined

/** A signer for `secret`; rejects when WebAssembly cannot be loaded (the caller keeps noble's). */
export async function loadWasmBlsSigner(secret: bigint): Promise<BlsSign> {
  ready ??= initialise()
  await ready
  const scalar = new mcl.Fr()
  scalar.setStr(secret.toString(16), 16)
  return (message) => mcl.mul(hashToG1(message), scalar).serialize()
}

async function initialise(): Promise<void> {
  // A client in the same process (tests, benchmarks) may have loaded mcl already; loading it again
  // would swap the module under the client's prepared points, which live in the old one's memory.
  if (mcl.curveType !== mcl.BLS12_381) await mcl.init(mcl.BLS12_381)
  // Compressed points as ZCash/Ethereum (and the IC) write them; RFC 9380's SSWU map.
  mcl.setETHserialization(true)
  mcl.setMapToMode(mcl.IRTF)
}

/** RFC 9380 hash_to_curve: two field elements (noble), each mapped to G1 (mcl), then added. */
function hashToG1(message: Uint8Array): mcl.G1 {
  const [[u0], [u1]] = hash_to_field(message, 2, { DST, p: bls12_381.fields.Fp.ORDER, m: 1, k: 128, expand: 'xmd', hash: sha256 })
  return mcl.add(fieldElement(u0).mapToG1(), fieldElement(u1).mapToG1())
}

function fieldElement(value: bigint | undefined): mcl.Fp {
  if (value === undefined) throw new Error('hash_to_field returned too few elements')
  const element = new mcl.Fp()
  element.setStr(value.toString(16), 16)
  return element
}
