/**
 * Hand-built signed envelopes, for wire tests that must send what no well-behaved agent sends
 * (a bad signature, an expired request, the same bytes twice).
 */
import type { SignIdentity } from '@icp-sdk/core/agent'
import type { Principal } from '@icp-sdk/core/principal'
import { decodeCbor, encodeCbor } from '../../src/crypto/cbor.js'
import { concatBytes, domainSeparator, requestIdOf } from '../../src/crypto/hash.js'

export interface Envelope {
  body: Uint8Array
  requestId: Uint8Array
}

export async function signedEnvelope(identity: SignIdentity, content: Record<string, unknown>, tamper = false): Promise<Envelope> {
  const requestId = requestIdOf(content)
  const signature = new Uint8Array(await identity.sign(concatBytes(domainSeparator('ic-request'), requestId)))
  if (tamper) signature[0] = (signature[0] as number) ^ 0xff
  const body = encodeCbor({ content, sender_pubkey: identity.getPublicKey().toDer(), sender_sig: signature })
  return { body, requestId }
}

export function callContent(identity: SignIdentity, canisterId: Principal, methodName: string, options: { expiryNs?: bigint; nonce?: Uint8Array } = {}): Record<string, unknown> {
  return {
    request_type: 'call',
    sender: identity.getPrincipal().toUint8Array(),
    canister_id: canisterId.toUint8Array(),
    method_name: methodName,
    arg: new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]),
    ingress_expiry: options.expiryNs ?? BigInt(Date.now() + 4 * 60_000) * 1_000_000n,
    nonce: options.nonce ?? crypto.getRandomValues(new Uint8Array(16))
  }
}

export function readStateContent(identity: SignIdentity, paths: Uint8Array[][]): Record<string, unknown> {
  return {
    request_type: 'read_state',
    sender: identity.getPrincipal().toUint8Array(),
    paths,
    ingress_expiry: BigInt(Date.now() + 4 * 60_000) * 1_000_000n
  }
}

export interface RawResponse {
  status: number
  /** The body as text (for text/plain errors). */
  readonly text: string
  cbor(): Record<string, unknown>
}

export async function post(url: string, body: Uint8Array): Promise<RawResponse> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/cbor' }, signal: AbortSignal.timeout(20_000) })
  const bytes = new Uint8Array(await response.arrayBuffer())
  return {
    status: response.status,
    get text() {
      return new TextDecoder().decode(bytes)
    },
    cbor: () => decodeCbor(bytes) as Record<string, unknown>
  }
}
