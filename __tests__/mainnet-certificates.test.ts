/**
 * Real mainnet certificates, with and without delegation (published in the agent's own test suite,
 * see the fixture's `source`), checked by the agent with the project's verifier (mcl-wasm behind
 * the round cache) against the mainnet root key at each certificate's own time: they verify, and
 * one flipped byte makes them fail. This is the check every mainnet reply goes through.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { Certificate, Cbor, IC_ROOT_KEY, lookup_path, lookupResultToBuffer, type HashTree } from '@icp-sdk/core/agent'
import { Principal } from '@icp-sdk/core/principal'
import { createCachedBlsVerify } from '../src/core/ic/bls-cache.js'
import { loadWasmBlsVerify } from '../src/core/ic/bls-wasm.js'

interface Fixture {
  name: string
  about: string
  principal: { canisterId: string } | { subnetId: string }
  /** A canister outside the delegation's ranges (hex), when the fixture has one. */
  outside?: string
  hex: string
}

interface DecodedCertificate {
  tree: HashTree
  signature: Uint8Array
  delegation?: { subnet_id: Uint8Array; certificate: Uint8Array }
}

const { certificates } = JSON.parse(await readFile(new URL('../__fixtures__/mainnet-certificates.json', import.meta.url), 'utf8')) as { certificates: Fixture[] }
const rootKey = Uint8Array.from(Buffer.from(IC_ROOT_KEY, 'hex'))

function fixture(name: string): Fixture {
  const found = certificates.find((c) => c.name === name)
  if (found === undefined) throw new Error(`no fixture ${name}`)
  return found
}

function bytesOf(f: Fixture): Uint8Array {
  return Uint8Array.from(Buffer.from(f.hex, 'hex'))
}

function principalOf(f: Fixture): { canisterId: Principal } | { subnetId: Principal } {
  if ('subnetId' in f.principal) return { subnetId: Principal.fromText(f.principal.subnetId) }
  const id = f.principal.canisterId
  return { canisterId: /^[0-9a-f]{20}$/.test(id) ? Principal.fromHex(id) : Principal.fromText(id) }
}

/** `/time` of the certificate, in ms (LEB128 nanoseconds). */
function timeOf(bytes: Uint8Array): number {
  const leaf = lookupResultToBuffer(lookup_path(['time'], Cbor.decode<DecodedCertificate>(bytes).tree))
  if (leaf === undefined) throw new Error('certificate without /time')
  let ns = 0n
  let shift = 0n
  for (const byte of leaf) {
    ns |= BigInt(byte & 0x7f) << shift
    shift += 7n
  }
  return Number(ns / 1_000_000n)
}

/** The project's verifier, counting the pairings it really computes. */
async function countingVerifier(): Promise<{ verify: ReturnType<typeof createCachedBlsVerify>; checks: () => number }> {
  const wasm = await loadWasmBlsVerify()
  let checks = 0
  const verify = createCachedBlsVerify((pk, sig, msg) => {
    checks++
    return wasm(pk, sig, msg)
  })
  return { verify, checks: () => checks }
}

async function check(bytes: Uint8Array, principal: ReturnType<typeof principalOf>, verify: ReturnType<typeof createCachedBlsVerify>): Promise<Certificate> {
  jest.useFakeTimers({ now: timeOf(bytes), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
  return Certificate.create({ certificate: bytes, rootKey, principal, blsVerify: verify })
}

/** A copy with one byte flipped inside `part`, found where it sits in the encoded certificate. */
function flipped(bytes: Uint8Array, part: Uint8Array): Uint8Array {
  const at = Buffer.from(bytes).indexOf(Buffer.from(part))
  if (at < 0) throw new Error('part not found in the certificate')
  const copy = bytes.slice()
  copy[at + 7] = (copy[at + 7] as number) ^ 0x01
  return copy
}

afterEach(() => {
  jest.useRealTimers()
})

describe('mainnet certificates through the project verifier', () => {
  it('has the fixtures it claims: one signed by the root key, two with delegations', () => {
    const withDelegation = certificates.map((f) => Cbor.decode<DecodedCertificate>(bytesOf(f)).delegation !== undefined)
    expect(withDelegation).toEqual([false, true, true])
  })

  for (const f of certificates) {
    describe(`${f.name}: ${f.about}`, () => {
      it('verifies at its own time, one pairing per signature, each remembered', async () => {
        const bytes = bytesOf(f)
        const { verify, checks } = await countingVerifier()
        await expect(check(bytes, principalOf(f), verify)).resolves.toBeInstanceOf(Certificate)
        const signatures = Cbor.decode<DecodedCertificate>(bytes).delegation === undefined ? 1 : 2
        expect(checks()).toBe(signatures)
        await expect(check(bytes, principalOf(f), verify)).resolves.toBeInstanceOf(Certificate)
        expect(checks()).toBe(signatures)
      })

      it('fails with one flipped byte in its signature, even after the genuine one was remembered', async () => {
        const bytes = bytesOf(f)
        const { verify } = await countingVerifier()
        await check(bytes, principalOf(f), verify)
        const { signature } = Cbor.decode<DecodedCertificate>(bytes)
        await expect(check(flipped(bytes, signature), principalOf(f), verify)).rejects.toThrow(/[Ss]ignature/)
      })

      it('fails with one flipped byte in its tree', async () => {
        const bytes = bytesOf(f)
        const { verify } = await countingVerifier()
        // The first pruned subtree's hash: the message signed changes, the structure does not.
        const pruned = findPruned(Cbor.decode<DecodedCertificate>(bytes).tree)
        await expect(check(flipped(bytes, pruned), principalOf(f), verify)).rejects.toThrow(/[Ss]ignature/)
      })
    })
  }

  it("fails with one flipped byte in the delegation's own signature", async () => {
    for (const name of ['sampleLegacyDelegation', 'mainnetApplicationO3ow2']) {
      const f = fixture(name)
      const bytes = bytesOf(f)
      const { verify } = await countingVerifier()
      await check(bytes, principalOf(f), verify)
      const delegation = Cbor.decode<DecodedCertificate>(bytes).delegation as { certificate: Uint8Array }
      const { signature } = Cbor.decode<DecodedCertificate>(delegation.certificate)
      await expect(check(flipped(bytes, signature), principalOf(f), verify)).rejects.toThrow(/[Ss]ignature/)
    }
  })

  it("refuses a canister outside the delegation's ranges", async () => {
    const f = fixture('sampleLegacyDelegation')
    const { verify } = await countingVerifier()
    const outside = Principal.fromHex(f.outside as string)
    await expect(check(bytesOf(f), { canisterId: outside }, verify)).rejects.toThrow(/does not include the canister/)
  })
})

function findPruned(tree: HashTree): Uint8Array {
  const [kind] = tree
  if (kind === 4) return tree[1] as Uint8Array
  if (kind === 1) {
    for (const child of [tree[1], tree[2]] as HashTree[]) {
      try {
        return findPruned(child)
      } catch {
        // Not in this branch.
      }
    }
  }
  if (kind === 2) return findPruned(tree[2] as HashTree)
  throw new Error('no pruned node')
}
