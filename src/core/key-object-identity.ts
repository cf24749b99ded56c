/**
 * A signing identity whose private key stays inside a `node:crypto` KeyObject.
 *
 * The SDK's identities sign in JavaScript (`@noble/curves`). Warm, that is about as fast as OpenSSL
 * (≈ 0.4 ms against ≈ 0.5 ms per secp256k1 signature), but the first signature of a process builds
 * noble's tables first (≈ 40 ms in a bare script, ≈ 100 ms in a profiled cold action), on the
 * critical path of every short command. OpenSSL needs no warm-up, and the raw private key never has
 * to be copied into a JavaScript array.
 */
import { createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { SignIdentity, type DerEncodedPublicKey, type PublicKey, type Signature } from '@icp-sdk/core/agent'
import { Ed25519PublicKey } from '@icp-sdk/core/identity'
import { Secp256k1PublicKey } from '@icp-sdk/core/identity/secp256k1'

/** Group orders; a signature's s is kept at or below half of its curve's. */
const ORDER = {
  secp256k1: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  p256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
} as const
const SCALAR_BYTES = 32

export type KeyObjectKind = 'secp256k1' | 'p256' | 'ed25519'

export class KeyObjectIdentity extends SignIdentity {
  readonly #key: KeyObject
  readonly #kind: KeyObjectKind
  readonly #publicKey: PublicKey

  constructor(key: KeyObject, kind: KeyObjectKind) {
    super()
    this.#key = key
    this.#kind = kind
    const { x, y } = key.export({ format: 'jwk' })
    if (typeof x !== 'string') throw new Error('the key has no public part')
    if (kind === 'ed25519') {
      this.#publicKey = Ed25519PublicKey.fromRaw(Buffer.from(x, 'base64url'))
    } else if (kind === 'p256') {
      // The IC's P-256 key is the X.509 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, uncompressed
      // point), which is what OpenSSL exports; the SDK has no P-256 key class outside WebCrypto.
      this.#publicKey = derPublicKey(createPublicKey(key).export({ format: 'der', type: 'spki' }))
    } else {
      if (typeof y !== 'string') throw new Error('the key has no public part')
      // SEC1 uncompressed point: 0x04 ‖ X ‖ Y, the form `Secp256k1KeyIdentity` uses too.
      this.#publicKey = Secp256k1PublicKey.fromRaw(Buffer.concat([Buffer.of(4), padded(x), padded(y)]))
    }
  }

  getPublicKey(): PublicKey {
    return this.#publicKey
  }

  /**
   * Same signatures as the SDK's identities: Ed25519 over the data, ECDSA (secp256k1 or P-256) over
   * its SHA-256 as 64 bytes r ‖ s (the IC's form, not DER) with low s.
   */
  async sign(data: Uint8Array): Promise<Signature> {
    if (this.#kind === 'ed25519') return toSignature(cryptoSign(null, data, this.#key))
    const signature = cryptoSign('sha256', data, { key: this.#key, dsaEncoding: 'ieee-p1363' })
    return toSignature(withLowS(signature, ORDER[this.#kind]))
  }
}

/**
 * The IC, like Bitcoin, refuses a secp256k1 signature whose s is in the upper half of the group;
 * OpenSSL picks either half, and (r, n − s) is the same signature in canonical form. P-256 gets the
 * same form: every verifier accepts it, including those that insist on it.
 */
function withLowS(signature: Buffer, order: bigint): Buffer {
  const s = BigInt(`0x${signature.subarray(SCALAR_BYTES).toString('hex')}`)
  if (s <= order >> 1n) return signature
  const low = Buffer.from((order - s).toString(16).padStart(SCALAR_BYTES * 2, '0'), 'hex')
  return Buffer.concat([signature.subarray(0, SCALAR_BYTES), low])
}

function derPublicKey(spki: Buffer): PublicKey {
  const der = Uint8Array.from(spki) as DerEncodedPublicKey
  return { toDer: () => der, derKey: der }
}

function padded(coordinate: string): Buffer {
  const raw = Buffer.from(coordinate, 'base64url')
  return Buffer.concat([Buffer.alloc(SCALAR_BYTES - raw.length), raw])
}

function toSignature(bytes: Buffer): Signature {
  return Uint8Array.from(bytes) as Signature
}
