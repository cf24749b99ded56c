import { execFile } from 'node:child_process'
import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { Secp256k1PublicKey } from '@icp-sdk/core/identity/secp256k1'
import { ed25519 } from '@noble/curves/ed25519'
import { secp256k1 } from '@noble/curves/secp256k1'
import { sha256 } from '@noble/hashes/sha2'
import { InputError } from '../src/core/errors.js'
import { parseIdentity } from '../src/core/identity.js'
import { icpBinary } from './helpers/icp.js'
import { generateTestKeys, TEST_PASSWORD, type TestKeys } from './helpers/keys.js'

const run = promisify(execFile)

let keys: TestKeys
let home: string

beforeAll(async () => {
  keys = generateTestKeys()
  home = await mkdtemp(path.join(tmpdir(), 'icp-home-'))
})
afterAll(async () => {
  await rm(home, { recursive: true, force: true })
})

/** What `icp identity principal` prints for the PEM, imported into a throwaway ICP_HOME. */
async function icpPrincipal(name: string, pem: string, password?: string): Promise<string> {
  const file = path.join(home, `${name}.pem`)
  await writeFile(file, pem, { mode: 0o600 })
  const env = { ...process.env, ICP_HOME: path.join(home, 'icp'), DO_NOT_TRACK: '1' }
  const importArgs = ['identity', 'import', '--storage', 'plaintext', '--from-pem', file, name]
  if (password !== undefined) {
    const pw = path.join(home, `${name}.pw`)
    await writeFile(pw, password, { mode: 0o600 })
    importArgs.push('--decryption-password-from-file', pw)
  }
  const icp = icpBinary()
  await run(icp, importArgs, { env, timeout: 30_000 })
  const { stdout } = await run(icp, ['identity', 'principal', '--identity', name], { env, timeout: 30_000 })
  return stdout.trim()
}

describe('parseIdentity', () => {
  it.each([
    ['dfx export (SEC1 secp256k1)', 'sec1', 'secp256k1', undefined],
    ['icp export (PKCS#8 secp256k1)', 'pkcs8Secp256k1', 'secp256k1', undefined],
    ['Ed25519 PKCS#8', 'pkcs8Ed25519', 'ed25519', undefined],
    ['encrypted PKCS#8', 'encryptedPkcs8', 'secp256k1', TEST_PASSWORD],
    ['SEC1 P-256', 'sec1P256', 'p256', undefined],
    ['SEC1 P-256 after its EC PARAMETERS block (openssl ecparam -genkey)', 'sec1P256WithParameters', 'p256', undefined],
    ['PKCS#8 P-256', 'pkcs8P256', 'p256', undefined],
    ['encrypted PKCS#8 P-256', 'encryptedPkcs8P256', 'p256', TEST_PASSWORD]
  ] as const)('%s gives the principal icp 1.5.0 prints', async (_label, field, kind, password) => {
    const pem = keys[field]
    const parsed = parseIdentity(pem, password)
    expect(parsed.kind).toBe(kind)
    expect(parsed.principal).toBe(await icpPrincipal(field, pem, password))
  })

  it('gives one principal for the same key in SEC1, PKCS#8 and encrypted form', () => {
    const a = parseIdentity(keys.sec1).principal
    expect(parseIdentity(keys.pkcs8Secp256k1).principal).toBe(a)
    expect(parseIdentity(keys.encryptedPkcs8, TEST_PASSWORD).principal).toBe(a)
    const b = parseIdentity(keys.sec1P256).principal
    expect(b).not.toBe(a)
    expect(parseIdentity(keys.pkcs8P256).principal).toBe(b)
    expect(parseIdentity(keys.encryptedPkcs8P256, TEST_PASSWORD).principal).toBe(b)
  })

  it('gives a P-256 key the IC form: SubjectPublicKeyInfo with id-ecPublicKey and prime256v1, 64-byte r ‖ s signatures with low s', async () => {
    const parsed = parseIdentity(keys.pkcs8P256)
    const der = Buffer.from(parsed.identity.getPublicKey().toDer())
    // SEQUENCE { SEQUENCE { OID 1.2.840.10045.2.1, OID 1.2.840.10045.3.1.7 }, BIT STRING 04 ‖ X ‖ Y }
    expect(der.subarray(0, 27).toString('hex')).toBe('3059301306072a8648ce3d020106082a8648ce3d030107034200' + '04')
    expect(der).toHaveLength(91)
    const publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' })
    expect(publicKey.export({ format: 'jwk' })).toEqual(createPublicKey(keys.p256).export({ format: 'jwk' }))
    const halfOrder = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n >> 1n
    for (let i = 0; i < 48; i++) {
      const data = randomBytes(40)
      const signature = await parsed.identity.sign(data)
      expect(signature.byteLength).toBe(64)
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true)
      expect(BigInt(`0x${Buffer.from(signature.slice(32)).toString('hex')}`) <= halfOrder).toBe(true)
      expect(verify('sha256', randomBytes(40), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false)
    }
  })

  it('signs with the parsed key (the public key matches the PEM)', () => {
    const parsed = parseIdentity(keys.pkcs8Ed25519)
    const raw = keys.ed25519.export({ format: 'jwk' }).x
    // The DER SubjectPublicKeyInfo of an Ed25519 key ends with the 32 raw bytes.
    const der = parsed.identity.getPublicKey().toDer()
    expect(Buffer.from(der.slice(-32)).toString('base64url')).toBe(raw)
  })

  it('signs as the SDK identities do: ECDSA over SHA-256 with low s, Ed25519 over the data', async () => {
    const secp = parseIdentity(keys.sec1).identity
    const secpRaw = Secp256k1PublicKey.fromDer(secp.getPublicKey().toDer()).toRaw()
    const halfOrder = secp256k1.CURVE.n >> 1n
    for (let i = 0; i < 48; i++) {
      const data = randomBytes(40)
      const signature = await secp.sign(data)
      expect(signature.byteLength).toBe(64)
      expect(secp256k1.verify(signature, sha256(data), secpRaw, { lowS: true })).toBe(true)
      expect(BigInt(`0x${Buffer.from(signature.slice(32)).toString('hex')}`) <= halfOrder).toBe(true)
      expect(secp256k1.verify(signature, sha256(randomBytes(40)), secpRaw)).toBe(false)
    }
    const ed = parseIdentity(keys.pkcs8Ed25519).identity
    const edRaw = ed.getPublicKey().toDer().slice(-32)
    const data = randomBytes(40)
    expect(ed25519.verify(await ed.sign(data), data, edRaw)).toBe(true)
  })

  it('keeps the private key out of the identity object', () => {
    const parsed = parseIdentity(keys.sec1)
    const scalar = Buffer.from(String(keys.secp256k1.export({ format: 'jwk' }).d), 'base64url').toString('hex')
    const seen = JSON.stringify(parsed, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value))
    expect(seen).not.toContain(scalar)
    expect(Object.values(parsed.identity).some((value) => value instanceof Uint8Array && Buffer.from(value).toString('hex') === scalar)).toBe(false)
  })

  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const p384Sec1 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()

  const bad: [string, () => string, string | undefined, string][] = [
    ['empty', () => '', undefined, 'identity'],
    ['not a PEM', () => 'hello world', undefined, 'identity'],
    ['a public key', () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', undefined, 'identity'],
    ['a truncated PEM', () => keys.sec1.slice(0, 80), undefined, 'identity'],
    ['corrupted base64', () => keys.pkcs8Secp256k1.replace(/[A-Za-z]{8}/, '!!!!!!!!'), undefined, 'identity'],
    ['P-384 PKCS#8 (unsupported curve)', () => p384, undefined, 'identity'],
    ['P-384 SEC1 (unsupported curve)', () => p384Sec1, undefined, 'identity'],
    ['RSA', () => rsa, undefined, 'identity'],
    ['encrypted without password', () => keys.encryptedPkcs8, undefined, 'identity-password'],
    ['encrypted with a wrong password', () => keys.encryptedPkcs8, 'wrong', 'identity-password']
  ]
  it.each(bad)('refuses %s with an error naming the input', (_label, pem, password, input) => {
    const text = pem()
    let caught: unknown
    try {
      parseIdentity(text, password)
    } catch (error: unknown) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InputError)
    const error = caught as InputError
    expect(error.input).toBe(input)
    expect(error.message).toContain(`'${input}'`)
    expect(error.message).not.toContain('\n')
    if (input === 'identity') expect(error.message).toMatch(/secp256k1 or P-256.*Ed25519/)
    // The message never echoes key material.
    for (const line of text.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(error.message).not.toContain(line)
  })
})
