/**
 * A signing identity whose private key stays inside a `node:crypto` KeyObject.
 *
 * The SDK's identities sign in JavaScript (`@noble/curves`). Warm, that is about as fast as OpenSSL
 * (≈ 0.4 ms against ≈ 0.5 ms per secp256k1 signature), but the first signature of a process builds
 * noble's tables first (≈ 40 ms in a bare script, ≈ 100 ms in a profiled cold action), on the
 * critical path of every short command. OpenSSL needs no warm-up, and the raw private key never has
 * to be copied into a JavaScript array.
 */
import { sign as cryptoSign, type KeyObject } from 'node:crypto'
import { SignIdentity, type PublicKey, type Signature } from '@icp-sdk/core/agent'
import { Ed25519PublicKey } from '@icp-sdk/core/identity'
import { Secp256k1PublicKey } from '@icp-sdk/core/identity/secp256k1'

/** Order of the secp256k1 group; a signature's s is kept at or below half of it. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const HALF_N = SECP256K1_N >> 1n
const SCALAR_BYTES = 32

export type KeyObjectKind = 'secp256k1' | 'ed25519'

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
    } else {
      if (typeof y !== 'string') throw new Error('the key has no public part')
      // SEC1 uncompressed point: 0x04 ‖ X ‖ Y, the form `Secp256k1KeyIdentity` uses too.
      this.#publicKey = Secp256k1PublicKey.fromRaw(Buffer.concat([Buffer.of(4), padded(x), padded(y)]))
    }
  }

  getPublicKey(): PublicKey {
    return this.#publicKey
  }

  /** Same signatures as the SDK's identities: Ed25519 over the data, ECDSA over its SHA-256 with low s. */
  async sign(data: Uint8Array): Promise<Signature> {
    if (this.#kind === 'ed25519') return toSignature(cryptoSign(null, data, this.#key))
    const signature = cryptoSign('sha256', data, { key: this.#key, dsaEncoding: 'ieee-p1363' })
    return toSignature(withLowS(signature))
  }
}

/**
 * The IC, like Bitcoin, refuses an ECDSA signature whose s is in the upper half of the group;
 * OpenSSL picks either half, and (r, n − s) is the same signature in canonical form.
 */
function withLowS(signature: Buffer): Buffer {
  const s = BigInt(`0x${signature.subarray(SCALAR_BYTES).toString('hex')}`)
  if (s <= HALF_N) return signature
  const low = Buffer.from((SECP256K1_N - s).toString(16).padStart(SCALAR_BYTES * 2, '0'), 'hex')
  return Buffer.concat([signature.subarray(0, SCALAR_BYTES), low])
}

function padded(coordinate: string): Buffer {
  const raw = Buffer.from(coordinate, 'base64url')
  return Buffer.concat([Buffer.alloc(SCALAR_BYTES - raw.length), raw])
}

function toSignature(bytes: Buffer): Signature {
  return Uint8Array.from(bytes) as Signature
}
