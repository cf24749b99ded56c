/**
 * The interface spec's test vectors and the crypto building blocks the wire layer rests on, checked
 * against the spec's numbers and against the JS agent's own implementations.
 */
import { describe, expect, it } from '@jest/globals'
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import { bls12_381 } from '@noble/curves/bls12-381'
import { lookup_path, LookupPathStatus, reconstruct as agentReconstruct, requestIdOf as agentRequestIdOf, type HashTree as AgentHashTree } from '@icp-sdk/core/agent'
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity'
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1'
import { Principal } from '@icp-sdk/core/principal'
import { decodeCbor, encodeCbor } from '../src/crypto/cbor.js'
import { concatBytes, domainSeparator, encodeLeb128, fromHex, requestIdOf, toHex } from '../src/crypto/hash.js'
import { reconstruct, StateLeaf, StateLevel, type HashTree } from '../src/crypto/hash-tree.js'
import { loadWasmBlsSigner } from '../src/crypto/bls-wasm-signer.js'
import { NodeKey, RootKey } from '../src/crypto/keys.js'
import { SenderAuthError, verifySender } from '../src/crypto/sender-auth.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const asAgentTree = (t: HashTree): AgentHashTree => t as unknown as AgentHashTree

describe('interface spec test vectors', () => {
  it('reconstructs the certification example tree to the published root hash', () => {
    const cbor = fromHex(
      '8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c6483024162820344676f6f648301830241638100830241648203476d6f726e696e67'
    )
    const tree = decodeCbor(cbor) as HashTree
    expect(toHex(reconstruct(tree))).toBe('eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0')
  })

  it('computes the published request id of the example call', () => {
    const content = {
      request_type: 'call',
      sender: new Uint8Array([4]),
      ingress_expiry: 1685570400000000000n,
      canister_id: fromHex('00000000000004d2'),
      method_name: 'hello',
      arg: fromHex('4449444c00fd2a')
    }
    expect(toHex(requestIdOf(content))).toBe('1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101')
    expect(toHex(requestIdOf(content))).toBe(toHex(agentRequestIdOf(content)))
  })

  it('hashes nonces, nested arrays and 64-bit nats exactly as the agent does', () => {
    const content = {
      request_type: 'read_state',
      sender: new Uint8Array([4]),
      ingress_expiry: 18446744073709551615n,
      nonce: new Uint8Array(16).fill(9),
      paths: [[text('request_status'), new Uint8Array(32).fill(1)], [text('time')]]
    }
    expect(toHex(requestIdOf(content))).toBe(toHex(agentRequestIdOf(content)))
  })

  it('encodes LEB128 as the spec does', () => {
    expect(toHex(encodeLeb128(624485))).toBe('e58e26')
    expect(toHex(encodeLeb128(0))).toBe('00')
  })
})

describe('CBOR', () => {
  it('writes the self-describe tag and reads 64-bit integers back as bigint', () => {
    const bytes = encodeCbor({ ingress_expiry: 1795610520000000000n })
    expect(toHex(bytes.subarray(0, 3))).toBe('d9d9f7')
    expect(decodeCbor(bytes)).toEqual({ ingress_expiry: 1795610520000000000n })
  })
})

describe('state tree and witnesses', () => {
  const level = StateLevel.of([
    ['a', StateLevel.of([['x', new StateLeaf(text('hello'))], ['y', new StateLeaf(text('world'))]])],
    ['b', new StateLeaf(text('good'))],
    ['d', new StateLeaf(text('morning'))],
    ['f', new StateLeaf(text('evening'))]
  ])

  it('hashes a level as the reconstruction of its full tree', async () => {
    expect(toHex(reconstruct(level.full()))).toBe(toHex(level.hash))
    expect(toHex(await agentReconstruct(asAgentTree(level.full())))).toBe(toHex(level.hash))
  })

  it('prunes everything off the requested paths and keeps the root hash', () => {
    const witness = level.witness([[text('a'), text('y')]])
    expect(toHex(reconstruct(witness))).toBe(toHex(level.hash))
    const found = lookup_path([text('a'), text('y')], asAgentTree(witness))
    expect(found.status).toBe(LookupPathStatus.Found)
    expect(found.status === LookupPathStatus.Found && new TextDecoder().decode(found.value)).toBe('world')
    // Off-path data is gone, not just hidden.
    expect(JSON.stringify(witness)).not.toContain(JSON.stringify([...text('morning')]))
    expect(lookup_path([text('d')], asAgentTree(witness)).status).toBe(LookupPathStatus.Unknown)
  })

  it('proves a missing label absent by keeping its neighbours visible', () => {
    const witness = level.witness([[text('c')], [text('a'), text('z')], [text('g')]])
    expect(toHex(reconstruct(witness))).toBe(toHex(level.hash))
    expect(lookup_path([text('c')], asAgentTree(witness)).status).toBe(LookupPathStatus.Absent)
    expect(lookup_path([text('a'), text('z')], asAgentTree(witness)).status).toBe(LookupPathStatus.Absent)
    expect(lookup_path([text('g')], asAgentTree(witness)).status).toBe(LookupPathStatus.Absent)
  })

  it('keeps bucketed levels well-formed and equal to one sorted level', () => {
    const low = StateLevel.of([[new Uint8Array([1, 5]), new StateLeaf(text('p'))], [new Uint8Array([1, 9]), new StateLeaf(text('q'))]])
    const high = StateLevel.of([[new Uint8Array([7, 0]), new StateLeaf(text('r'))]])
    const joined = StateLevel.concat([low, StateLevel.of([]), high])
    const witness = joined.witness([[new Uint8Array([7, 0])], [new Uint8Array([3])]])
    expect(toHex(reconstruct(witness))).toBe(toHex(joined.hash))
    expect(lookup_path([new Uint8Array([7, 0])], asAgentTree(witness)).status).toBe(LookupPathStatus.Found)
    expect(lookup_path([new Uint8Array([3])], asAgentTree(witness)).status).toBe(LookupPathStatus.Absent)
  })

  it('refuses duplicate labels', () => {
    expect(() => StateLevel.of([['a', new StateLeaf(text('1'))], ['a', new StateLeaf(text('2'))]])).toThrow(/Duplicate label/)
  })
})

describe('keys', () => {
  it('derives a 133-byte DER BLS root key from the seed and signs verifiable certificates', () => {
    const key = new RootKey('pinned')
    expect(key.der).toHaveLength(133)
    expect(toHex(key.der)).toBe(toHex(new RootKey('pinned').der))
    expect(toHex(key.der)).not.toBe(toHex(new RootKey('other').der))
    const rootHash = new Uint8Array(32).fill(3)
    const signature = key.signRootHash(rootHash)
    expect(signature).toHaveLength(48)
    const message = concatBytes(domainSeparator('ic-state-root'), rootHash)
    expect(bls12_381.verifyShortSignature(signature, message, key.der.subarray(37))).toBe(true)
    expect(bls12_381.verifyShortSignature(signature, concatBytes(message, new Uint8Array([0])), key.der.subarray(37))).toBe(false)
  })

  it('signs the same bytes in WebAssembly as in JavaScript', async () => {
    // Straight from the loader, so a fallback to JavaScript cannot pass for the WebAssembly signer.
    const wasmSign = await loadWasmBlsSigner(123456789n)
    for (const fill of [0, 7]) {
      const message = new Uint8Array(40).fill(fill)
      expect(toHex(wasmSign(message))).toBe(toHex(bls12_381.shortSignatures.hash(message).multiply(123456789n).toBytes(true)))
    }
    const javascript = new RootKey('pinned')
    const wasm = new RootKey('pinned')
    await wasm.preferWasm()
    for (const fill of [0, 1, 3, 255]) {
      const rootHash = new Uint8Array(32).fill(fill)
      expect(toHex(wasm.signRootHash(rootHash))).toBe(toHex(javascript.signRootHash(rootHash)))
    }
    const rootHash = new Uint8Array(32).fill(9)
    const message = concatBytes(domainSeparator('ic-state-root'), rootHash)
    expect(bls12_381.verifyShortSignature(wasm.signRootHash(rootHash), message, wasm.der.subarray(37))).toBe(true)
  })

  it('derives an Ed25519 node key whose node id is its self-authenticating principal', () => {
    const node = new NodeKey('pinned')
    expect(node.der).toHaveLength(44)
    expect(toHex(node.der.subarray(0, 12))).toBe('302a300506032b6570032100')
    expect(node.nodeId.toText()).toBe(Principal.selfAuthenticating(node.der).toText())
  })
})

describe('sender authentication', () => {
  const requestId = new Uint8Array(32).fill(7)
  const signed = concatBytes(domainSeparator('ic-request'), requestId)
  const nowNs = BigInt(Date.now()) * 1_000_000n

  it('accepts Ed25519 and secp256k1 senders signed by the agent identities', async () => {
    for (const identity of [Ed25519KeyIdentity.generate(), Secp256k1KeyIdentity.generate()]) {
      const pubkey = identity.getPublicKey().toDer()
      const sig = await identity.sign(signed)
      const input = { sender: identity.getPrincipal().toUint8Array(), senderPubkey: pubkey, senderSig: sig, requestId, nowNs }
      expect(() => verifySender(input)).not.toThrow()
      const tampered = { ...input, requestId: new Uint8Array(32).fill(8) }
      expect(() => verifySender(tampered)).toThrow(/^Invalid signature: /)
    }
  })

  it('accepts P-256 senders', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }))
    const sig = new Uint8Array(nodeSign('sha256', signed, { key: privateKey, dsaEncoding: 'ieee-p1363' }))
    const sender = Principal.selfAuthenticating(der).toUint8Array()
    expect(() => verifySender({ sender, senderPubkey: der, senderSig: sig, requestId, nowNs })).not.toThrow()
  })

  it('refuses a sender that is not the key owner, and a signed anonymous request', async () => {
    const identity = Ed25519KeyIdentity.generate()
    const other = Ed25519KeyIdentity.generate()
    const senderPubkey = identity.getPublicKey().toDer()
    const senderSig = await identity.sign(signed)
    expect(() => verifySender({ sender: other.getPrincipal().toUint8Array(), senderPubkey, senderSig, requestId, nowNs })).toThrow(
      /^The user id '.+' does not match the public key '/
    )
    expect(() => verifySender({ sender: new Uint8Array([4]), senderPubkey, senderSig, requestId, nowNs })).toThrow(SenderAuthError)
    expect(() => verifySender({ sender: new Uint8Array([4]), requestId, nowNs })).not.toThrow()
  })
})
