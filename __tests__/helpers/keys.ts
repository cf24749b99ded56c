/** Test keys in every PEM form users have, generated fresh with node:crypto. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'

export const TEST_PASSWORD = 'correct horse battery staple'

export interface TestKeys {
  secp256k1: KeyObject
  p256: KeyObject
  ed25519: KeyObject
  /** `dfx identity export`: SEC1. */
  sec1: string
  /** `icp identity export`: PKCS#8 secp256k1. */
  pkcs8Secp256k1: string
  pkcs8Ed25519: string
  encryptedPkcs8: string
  /** P-256 (prime256v1) SEC1, as `openssl ec` writes it. */
  sec1P256: string
  /** What `openssl ecparam -name prime256v1 -genkey` prints: an EC PARAMETERS block before the key. */
  sec1P256WithParameters: string
  /** `icp identity export` of a P-256 identity: PKCS#8. */
  pkcs8P256: string
  encryptedPkcs8P256: string
}

/** The EC PARAMETERS block naming prime256v1 (DER: OID 1.2.840.10045.3.1.7). */
const P256_PARAMETERS = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n'

export function generateTestKeys(): TestKeys {
  const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey
  const ed25519 = generateKeyPairSync('ed25519').privateKey
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
  const sec1P256 = p256.export({ format: 'pem', type: 'sec1' }).toString()
  return {
    secp256k1,
    p256,
    ed25519,
    sec1: secp256k1.export({ format: 'pem', type: 'sec1' }).toString(),
    pkcs8Secp256k1: secp256k1.export({ format: 'pem', type: 'pkcs8' }).toString(),
    pkcs8Ed25519: ed25519.export({ format: 'pem', type: 'pkcs8' }).toString(),
    encryptedPkcs8: secp256k1.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: TEST_PASSWORD }).toString(),
    sec1P256,
    sec1P256WithParameters: P256_PARAMETERS + sec1P256,
    pkcs8P256: p256.export({ format: 'pem', type: 'pkcs8' }).toString(),
    encryptedPkcs8P256: p256.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: TEST_PASSWORD }).toString()
  }
}

/** A fresh SEC1 secp256k1 PEM, the form `dfx identity export` prints. */
export function newPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
}
