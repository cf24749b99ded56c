/**
 * The emulator's two signing keys, both derived from a seed so a pinned root key stays valid across
 * runs: the BLS12-381 (min-sig) root key that signs certificates, and the Ed25519 node key that
 * signs query responses.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto'
import { bls12_381 } from '@noble/curves/bls12-381'
import { Principal } from '@icp-sdk/core/principal'
import { loadWasmBlsSigner, type BlsSign } from './bls-wasm-signer.js'
import { concatBytes, domainSeparator, fromHex, sha256 } from './hash.js'

/** OIDs 1.3.6.1.4.1.44668.5.3.1.2.1 and 1.3.6.1.4.1.44668.5.3.2.1; 37 bytes + 96-byte G2 key = 133. */
const BLS_DER_PREFIX = fromHex('308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100')
const ED25519_PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')
const DS_STATE_ROOT = domainSeparator('ic-state-root')

export class RootKey {
  readonly der: Uint8Array
  private readonly secret: bigint

  constructor(seed: string) {
    // Reduce a seed hash into [1, r-1]; a 32-byte secret below the group order is all BLS needs.
    const r = bls12_381.fields.Fr.ORDER
    const wide = BigInt('0x' + Buffer.from(sha256(new TextEncoder().encode(`emulator root key:${seed}`))).toString('hex'))
    const scalar = (wide % (r - 1n)) + 1n
    this.secret = scalar
    this.der = concatBytes(BLS_DER_PREFIX, bls12_381.shortSignatures.getPublicKey(fromHex(scalar.toString(16).padStart(64, '0'))).toBytes(true))
  }

  /**
   * The certificate signature: BLS min-sig over `ds("ic-state-root") ‖ root hash`, i.e.
   * secret × hash_to_G1(message). `shortSignatures.sign` would also re-check that the hashed
   * point lies in G1 (it always does) and multiply in constant time; neither matters for a test
   * key, and skipping them saves a fifth of the JavaScript signer's time. The bytes are the same.
   */
  private signer: BlsSign = (message) => bls12_381.shortSignatures.hash(message).multiplyUnsafe(this.secret).toBytes(true)

  /**
   * Signs in WebAssembly from now on (same bytes, a sixth of the time). Where WebAssembly cannot be
   * loaded the JavaScript signer stays: slower certificates, never different ones.
   */
  async preferWasm(): Promise<void> {
    try {
      this.signer = await loadWasmBlsSigner(this.secret)
    } catch {
      // Keep the JavaScript signer.
    }
  }

  signRootHash(rootHash: Uint8Array): Uint8Array {
    return this.signer(concatBytes(DS_STATE_ROOT, rootHash))
  }
}

export class NodeKey {
  readonly der: Uint8Array
  readonly nodeId: Principal
  private readonly key: KeyObject

  constructor(seed: string) {
    const secret = sha256(new TextEncoder().encode(`emulator node key:${seed}`))
    this.key = createPrivateKey({ key: Buffer.from(concatBytes(ED25519_PKCS8_PREFIX, secret)), format: 'der', type: 'pkcs8' })
    const spki = createPublicKey(this.key).export({ format: 'der', type: 'spki' })
    this.der = new Uint8Array(spki.buffer, spki.byteOffset, spki.byteLength)
    this.nodeId = Principal.selfAuthenticating(this.der)
  }

  sign(message: Uint8Array): Uint8Array {
    const sig = sign(null, message, this.key)
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
  }
}
