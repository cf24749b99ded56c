/** Test keys in every PEM form users have, generated fresh with node:crypto. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'

export const TEST_PASSWORD = 'correct horse battery staple'

export interface TestKeys {
  secp256k1: KeyObject
  ed25519: KeyObject
  /** `dfx identity export`: SEC1. */
  sec1: string
  /** `icp identity export`: PKCS#8 secp256k1. */
  pkcs8Secp256k1: string
  pkcs8Ed25519: string
  encryptedPkcs8: string
}

export function generateTestKeys(): TestKeys {
  const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey
  const ed25519 = generateKeyPairSync('ed25519').privateKey
  return {
    secp256k1,
    ed25519,
    sec1: secp256k1.export({ format: 'pem', type: 'sec1' }).toString(),
    pkcs8Secp256k1: secp256k1.export({ format: 'pem', type: 'pkcs8' }).toString(),
    pkcs8Ed25519: ed25519.export({ format: 'pem', type: 'pkcs8' }).toString(),
    encryptedPkcs8: secp256k1.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: TEST_PASSWORD }).toString()
  }
}

/** A fresh SEC1 secp256k1 PEM, the form `dfx identity export` prints. */
export function newPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
}
