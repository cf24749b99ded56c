/**
 * Turns the PEM users actually have into a signing identity, in memory only:
 * - `dfx identity export`: SEC1 `EC PRIVATE KEY`, secp256k1;
 * - `icp identity export`: PKCS#8 `PRIVATE KEY`, secp256k1 or P-256 (prime256v1);
 * - SEC1 P-256 (`openssl ecparam -name prime256v1 -genkey`, with or without its `EC PARAMETERS` block);
 * - Ed25519 PKCS#8 (`openssl genpkey -algorithm ed25519`, older dfx identities);
 * - encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`) with a password.
 *
 * `Secp256k1KeyIdentity.fromPem` accepts only SEC1, so every form goes through `node:crypto`,
 * which understands all of them; the key then stays in its KeyObject and signs there.
 * Error messages never include the PEM or anything derived from it.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import type { SignIdentity } from '@icp-sdk/core/agent'
import { InputError } from './errors.js'
import { KeyObjectIdentity, type KeyObjectKind } from './key-object-identity.js'

/** The key types KeyObjectIdentity signs with (one list, so a new curve is added in one place). */
export type KeyKind = KeyObjectKind

export interface ParsedIdentity {
  identity: SignIdentity
  kind: KeyKind
  /** Textual principal, the same `icp identity principal` prints for this key. */
  principal: string
}

const ACCEPTED =
  'a PEM private key: secp256k1 or P-256 (`dfx identity export`, `icp identity export`, SEC1 or PKCS#8), Ed25519 PKCS#8, or encrypted PKCS#8 with `identity-password`'

/** OpenSSL's curve names, as `asymmetricKeyDetails.namedCurve` reports them. */
const CURVES: Partial<Record<string, Exclude<KeyKind, 'ed25519'>>> = { secp256k1: 'secp256k1', prime256v1: 'p256' }

export function parseIdentity(pem: string, password?: string): ParsedIdentity {
  const text = pem.trim()
  if (text === '') throw new InputError('identity', ACCEPTED)
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    throw new InputError('identity', `${ACCEPTED}; the value has no '-----BEGIN … PRIVATE KEY-----' line`)
  }
  const encrypted = text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')
  if (encrypted && (password === undefined || password === '')) {
    throw new InputError('identity-password', 'set because the identity PEM is encrypted (ENCRYPTED PRIVATE KEY)')
  }
  const key = loadKey(text, encrypted ? password : undefined, encrypted)
  return fromKeyObject(key)
}

function loadKey(pem: string, passphrase: string | undefined, encrypted: boolean): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) })
  } catch (error: unknown) {
    if (encrypted) throw new InputError('identity-password', 'the password the identity PEM was encrypted with (decryption failed)')
    const code = (error as { code?: unknown }).code
    throw new InputError('identity', `${ACCEPTED}; the PEM could not be decoded${typeof code === 'string' ? ` (${code})` : ''}`)
  }
}

function fromKeyObject(key: KeyObject): ParsedIdentity {
  const type = key.asymmetricKeyType
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    const kind = curve === undefined ? undefined : CURVES[curve]
    if (kind === undefined) {
      throw new InputError('identity', `${ACCEPTED}; this is an EC key on curve ${curve ?? 'unknown'}, not secp256k1 or P-256`)
    }
    const identity = new KeyObjectIdentity(key, kind)
    return { identity, kind, principal: identity.getPrincipal().toText() }
  }
  if (type === 'ed25519') {
    const identity = new KeyObjectIdentity(key, 'ed25519')
    return { identity, kind: 'ed25519', principal: identity.getPrincipal().toText() }
  }
  throw new InputError('identity', `${ACCEPTED}; this is a${type === undefined ? 'n unknown' : ` ${type.toUpperCase()}`} key`)
}
