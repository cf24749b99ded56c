/**
 * Who sent a request: `sender` must be the self-authenticating principal of `sender_pubkey` (or
 * anonymous with neither key nor signature), every delegation must be signed by the key before it,
 * and `sender_sig` must sign the request id with the last key in the chain.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { Principal } from '@icp-sdk/core/principal'
import { concatBytes, domainSeparator, hashOfMap, toHex } from './hash.js'

const DS_REQUEST = domainSeparator('ic-request')
const DS_DELEGATION = domainSeparator('ic-request-auth-delegation')
const ANONYMOUS = new Uint8Array([4])
/** The spec's bound on a delegation chain. */
const MAX_DELEGATIONS = 20
const MAX_TARGETS = 1000

export class SenderAuthError extends Error {
  override name = 'SenderAuthError'
}

export interface SignedDelegation {
  delegation: { pubkey: Uint8Array; expiration: bigint; targets?: Uint8Array[] } & Record<string, unknown>
  signature: Uint8Array
}

export interface SenderAuthInput {
  sender: Uint8Array
  senderPubkey?: Uint8Array
  senderSig?: Uint8Array
  delegations?: SignedDelegation[]
  requestId: Uint8Array
  /** For delegation targets; undefined for read_state without a canister. */
  canisterId?: Uint8Array
  nowNs: bigint
}

export function isAnonymous(sender: Uint8Array): boolean {
  return sender.length === 1 && sender[0] === ANONYMOUS[0]
}

/** Throws SenderAuthError with the replica's wording; returns normally when the request is authentic. */
export function verifySender(input: SenderAuthInput): void {
  const { sender, senderPubkey, senderSig, delegations = [] } = input
  if (isAnonymous(sender)) {
    if (senderPubkey !== undefined || senderSig !== undefined || delegations.length > 0) {
      throw new SenderAuthError('Invalid signature: an anonymous request must carry neither sender_pubkey, sender_sig nor sender_delegation')
    }
    return
  }
  if (senderPubkey === undefined || senderSig === undefined) {
    throw new SenderAuthError(`Invalid signature: missing sender_pubkey or sender_sig for the non-anonymous sender ${principalText(sender)}`)
  }
  const expected = Principal.selfAuthenticating(senderPubkey).toUint8Array()
  if (toHex(expected) !== toHex(sender)) {
    throw new SenderAuthError(`The user id '${principalText(sender)}' does not match the public key '${toHex(senderPubkey)}'`)
  }
  if (delegations.length > MAX_DELEGATIONS) {
    throw new SenderAuthError(`Invalid delegation: Chain of delegations is too long: got ${delegations.length} delegations, but at most ${MAX_DELEGATIONS} are allowed`)
  }
  let signingKey = senderPubkey
  const seen = new Set<string>([toHex(senderPubkey)])
  for (const { delegation, signature } of delegations) {
    const message = concatBytes(DS_DELEGATION, hashOfMap(delegation))
    if (!verifyWith(signingKey, message, signature)) {
      throw new SenderAuthError(`Invalid delegation: Invalid signature: Invalid basic signature: signature ${toHex(signature)} does not verify under public key ${toHex(signingKey)}`)
    }
    if (delegation.expiration < input.nowNs) {
      throw new SenderAuthError(`Invalid delegation: Invalid delegation expiry: Specified delegation has expired: Provided expiry: ${delegation.expiration}, Local replica timestamp: ${input.nowNs}`)
    }
    if (delegation.targets !== undefined) {
      if (delegation.targets.length > MAX_TARGETS) {
        throw new SenderAuthError(`Invalid delegation: Too many targets: got ${delegation.targets.length}, at most ${MAX_TARGETS} are allowed`)
      }
      const target = input.canisterId
      if (target !== undefined && !delegation.targets.some((t) => toHex(t) === toHex(target))) {
        throw new SenderAuthError(`Invalid delegation: Canister ${principalText(target)} is not one of the delegation targets.`)
      }
    }
    const next = toHex(delegation.pubkey)
    if (seen.has(next)) throw new SenderAuthError('Invalid delegation: Chain of delegations contains a cycle')
    seen.add(next)
    signingKey = delegation.pubkey
  }
  if (!verifyWith(signingKey, concatBytes(DS_REQUEST, input.requestId), senderSig)) {
    throw new SenderAuthError(`Invalid signature: Invalid basic signature: signature ${toHex(senderSig)} does not verify under public key ${toHex(signingKey)}`)
  }
}

/** Ed25519, ECDSA secp256k1 and ECDSA P-256 DER keys; canister-signature and WebAuthn keys are refused. */
function verifyWith(derKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = parseKey(derKey)
  try {
    if (key.asymmetricKeyType === 'ed25519') return verify(null, message, key, signature)
    if (key.asymmetricKeyType === 'ec') {
      // IC ECDSA signatures are 64-byte r‖s over sha256(message); high-S is accepted as the replica does.
      return signature.length === 64 && verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature)
    }
  } catch {
    return false
  }
  throw new SenderAuthError(`Invalid signature: unsupported public key type ${key.asymmetricKeyType ?? 'unknown'}; use an Ed25519, secp256k1 or P-256 key`)
}

/** Parsed keys by DER hex: agents sign every request with the same key, and parsing costs more than verifying. */
const parsedKeys = new Map<string, KeyObject>()
const MAX_PARSED_KEYS = 1024

function parseKey(derKey: Uint8Array): KeyObject {
  const cacheKey = toHex(derKey)
  const cached = parsedKeys.get(cacheKey)
  if (cached !== undefined) return cached
  const key = parseKeyUncached(derKey)
  if (parsedKeys.size >= MAX_PARSED_KEYS) parsedKeys.delete(parsedKeys.keys().next().value as string)
  parsedKeys.set(cacheKey, key)
  return key
}

function parseKeyUncached(derKey: Uint8Array): KeyObject {
  let key: KeyObject
  try {
    key = createPublicKey({ key: Buffer.from(derKey.buffer, derKey.byteOffset, derKey.byteLength), format: 'der', type: 'spki' })
  } catch {
    throw new SenderAuthError(`Invalid signature: unsupported or malformed public key ${toHex(derKey)}; use an Ed25519, secp256k1 or P-256 DER key (canister signatures and WebAuthn are not supported)`)
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve !== 'secp256k1' && curve !== 'prime256v1') {
      throw new SenderAuthError(`Invalid signature: unsupported ECDSA curve ${curve ?? 'unknown'}; use secp256k1 or P-256`)
    }
  }
  return key
}

function principalText(bytes: Uint8Array): string {
  try {
    return Principal.fromUint8Array(bytes).toText()
  } catch {
    return toHex(bytes)
  }
}
