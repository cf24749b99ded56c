/**
 * Decoding and validating a request envelope, in the replica's order: CBOR, request type, expiry,
 * nonce, sender authentication. Every failure is an HttpError 400 with the replica's wording.
 */
import { Principal } from '@icp-sdk/core/principal'
import { decodeCbor, isCborMap } from '../crypto/cbor.js'
import { requestIdOf } from '../crypto/hash.js'
import { isAnonymous, SenderAuthError, verifySender, type SignedDelegation } from '../crypto/sender-auth.js'
import { HttpError } from './errors.js'

export type RequestType = 'call' | 'query' | 'read_state'

/** `now ≤ ingress_expiry ≤ now + 5 min + 30 s` (the replica's ingress validation window). */
const MAX_EXPIRY_AHEAD_NS = (5n * 60n + 30n) * 1_000_000_000n
const MAX_NONCE_BYTES = 32

export interface ParsedRequest {
  type: RequestType
  requestId: Uint8Array
  sender: Principal
  ingressExpiry: bigint
  /** Present for call and query. */
  canisterId?: Principal
  methodName?: string
  arg?: Uint8Array
  /** Present for read_state. */
  paths?: Uint8Array[][]
}

const PARSE_PREFIX: Record<RequestType, string> = {
  call: 'Could not parse body as call message',
  query: 'Could not parse body as read request',
  read_state: 'Could not parse body as read request'
}

export function parseEnvelope(body: Uint8Array, expected: RequestType, nowNs: bigint): ParsedRequest {
  const fail = (why: string): never => {
    throw new HttpError(400, `${PARSE_PREFIX[expected]}: ${why}`)
  }
  let decoded: unknown
  try {
    decoded = decodeCbor(body)
  } catch (error: unknown) {
    return fail(`invalid CBOR: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (!isCborMap(decoded) || !isCborMap(decoded.content)) return fail('the envelope must be a CBOR map with a `content` map')
  const content = decoded.content
  const type = content.request_type
  if (type !== expected) return fail(`expected request_type "${expected}", got ${JSON.stringify(typeof type === 'string' ? type : String(type))}`)

  const bytes = (value: unknown, field: string): Uint8Array => (value instanceof Uint8Array ? value : fail(`field \`${field}\` must be a byte string`))
  const optionalBytes = (value: unknown, field: string): Uint8Array | undefined => (value === undefined ? undefined : bytes(value, field))
  const nat = (value: unknown, field: string): bigint =>
    typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : fail(`field \`${field}\` must be a nat`)
  const principal = (value: unknown, field: string): Principal => {
    const raw = bytes(value, field)
    if (raw.length > 29) return fail(`field \`${field}\` is not a principal (${raw.length} bytes > 29)`)
    return Principal.fromUint8Array(raw)
  }

  const senderBytes = bytes(content.sender, 'sender')
  const sender = principal(senderBytes, 'sender')
  const ingressExpiry = nat(content.ingress_expiry, 'ingress_expiry')
  const parsed: ParsedRequest = { type: expected, requestId: new Uint8Array(), sender, ingressExpiry }
  if (expected === 'read_state') {
    const paths = content.paths
    if (!Array.isArray(paths)) return fail('field `paths` must be an array of paths')
    parsed.paths = paths.map((path: unknown) =>
      Array.isArray(path) ? path.map((label: unknown) => bytes(label, 'paths')) : fail('every path must be an array of byte strings')
    )
  } else {
    parsed.canisterId = principal(content.canister_id, 'canister_id')
    const method = content.method_name
    parsed.methodName = typeof method === 'string' ? method : fail('field `method_name` must be text')
    parsed.arg = bytes(content.arg, 'arg')
  }

  const anonymousRead = expected !== 'call' && isAnonymous(senderBytes)
  if (!anonymousRead && (ingressExpiry < nowNs || ingressExpiry > nowNs + MAX_EXPIRY_AHEAD_NS)) {
    throw new HttpError(
      400,
      `Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: ${formatNs(nowNs)}, Maximum allowed expiry: ${formatNs(nowNs + MAX_EXPIRY_AHEAD_NS)}, Provided expiry: ${formatNs(ingressExpiry)}`
    )
  }
  const nonce = optionalBytes(content.nonce, 'nonce')
  if (nonce !== undefined && nonce.length > MAX_NONCE_BYTES) {
    throw new HttpError(400, `Nonce in request is too big: got ${nonce.length} bytes, but can be at most ${MAX_NONCE_BYTES} bytes`)
  }

  parsed.requestId = requestIdOf(content)
  try {
    verifySender({
      sender: senderBytes,
      senderPubkey: optionalBytes(decoded.sender_pubkey, 'sender_pubkey'),
      senderSig: optionalBytes(decoded.sender_sig, 'sender_sig'),
      delegations: parseDelegations(decoded.sender_delegation, fail),
      requestId: parsed.requestId,
      canisterId: parsed.canisterId?.toUint8Array(),
      nowNs
    })
  } catch (error: unknown) {
    if (error instanceof SenderAuthError) throw new HttpError(400, error.message)
    throw error
  }
  return parsed
}

function parseDelegations(value: unknown, fail: (why: string) => never): SignedDelegation[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) return fail('field `sender_delegation` must be an array')
  return value.map((item: unknown): SignedDelegation => {
    if (!isCborMap(item) || !isCborMap(item.delegation) || !(item.signature instanceof Uint8Array)) {
      return fail('every sender_delegation entry must be {delegation, signature}')
    }
    const d = item.delegation
    const expiration = d.expiration
    if (!(d.pubkey instanceof Uint8Array)) return fail('delegation.pubkey must be a byte string')
    if (typeof expiration !== 'bigint' && typeof expiration !== 'number') return fail('delegation.expiration must be a nat')
    const targets = d.targets
    if (targets !== undefined && !(Array.isArray(targets) && targets.every((t: unknown) => t instanceof Uint8Array))) {
      return fail('delegation.targets must be an array of principals')
    }
    return {
      delegation: { ...d, pubkey: d.pubkey, expiration: BigInt(expiration), targets: targets as Uint8Array[] | undefined },
      signature: item.signature
    }
  })
}

/** `2025-01-01 12:00:00.123456789 UTC`, the replica's rendering of a timestamp. */
export function formatNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n)
  const iso = new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
  return `${iso}.${(ns % 1_000_000_000n).toString().padStart(9, '0')} UTC`
}
