/**
 * age encryption (https://age-encryption.org/v1) of backup archives, so `age -d` opens them with
 * the matching identity or passphrase. Keys and passphrases are secrets: they are never logged and
 * never appear in error messages.
 */
import { open } from 'node:fs/promises'

/**
 * Loaded on first use: evaluating `age-encryption` (with its post-quantum recipients) takes ≈ 80 ms,
 * which every other operation would otherwise pay at start. "eager" keeps it in the one bundle file.
 */
export const loadAge = () => import(/* webpackMode: "eager" */ 'age-encryption')

export type EncryptionKeys = { recipients: string[] } | { passphrase: string }
export type DecryptionKeys = { identities: string[] } | { passphrase: string }

export class DecryptionError extends Error {
  override name = 'DecryptionError'
}

const AGE_MAGIC = 'age-encryption.org/v1\n'

export async function isAgeFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(AGE_MAGIC.length)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead).toString('latin1') === AGE_MAGIC
  } finally {
    await handle.close()
  }
}

export async function encryptStream(source: ReadableStream<Uint8Array>, keys: EncryptionKeys, scryptWorkFactor?: number): Promise<ReadableStream<Uint8Array>> {
  const { Encrypter } = await loadAge()
  const encrypter = new Encrypter()
  if ('passphrase' in keys) {
    encrypter.setPassphrase(keys.passphrase)
    if (scryptWorkFactor !== undefined) encrypter.setScryptWorkFactor(scryptWorkFactor)
  } else {
    for (const recipient of keys.recipients) encrypter.addRecipient(recipient)
  }
  return encrypter.encrypt(source)
}

/** Fails with a message that names what was wrong (key or passphrase), never the secret itself. */
export async function decryptStream(source: ReadableStream<Uint8Array>, keys: DecryptionKeys, file: string): Promise<ReadableStream<Uint8Array>> {
  const { Decrypter } = await loadAge()
  const decrypter = new Decrypter()
  if ('passphrase' in keys) decrypter.addPassphrase(keys.passphrase)
  else for (const identity of keys.identities) decrypter.addIdentity(identity)
  try {
    return await decrypter.decrypt(source)
  } catch (error: unknown) {
    const message = (error as Error).message
    if (/no identity matched/i.test(message)) {
      throw new DecryptionError(
        'passphrase' in keys
          ? `Cannot decrypt ${file}: the passphrase is wrong (or the file was encrypted to age recipients; then set 'decrypt-identity').`
          : `Cannot decrypt ${file}: 'decrypt-identity' matches none of its recipients (or it was encrypted with a passphrase).`
      )
    }
    throw new DecryptionError(`Cannot decrypt ${file}: ${message}. The file is corrupted or not an age file.`)
  }
}
