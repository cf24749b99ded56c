import { describe, expect, it } from '@jest/globals'
import { Principal } from '@icp-sdk/core/principal'
import { InputError, SnapshotNotFoundError } from '../src/core/errors.js'
import { matchByOwner, pickSnapshot } from '../src/core/phases/select.js'
import { assertSnapshotOwner, parseSnapshotId, snapshotIdToBytes, snapshotIdToHex, snapshotLocalId, snapshotOwner } from '../src/core/snapshot-id.js'

const A = Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai')
const B = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai')
const id = (n: number, owner: Principal): string => `${n.toString(16).padStart(16, '0')}${Buffer.from(owner.toUint8Array()).toString('hex')}`

describe('snapshot IDs', () => {
  it('round-trips hex and bytes and decodes owner and counter', () => {
    const s = id(5, A)
    expect(s).toHaveLength(36)
    expect(snapshotIdToHex(snapshotIdToBytes(s))).toBe(s)
    expect(snapshotOwner(s).toText()).toBe(A.toText())
    expect(snapshotLocalId(s)).toBe(5n)
    expect(parseSnapshotId(`0X${s.toUpperCase()}`)).toBe(s)
  })

  it.each(['', 'xyz', 'abc', '00'.repeat(8), '00'.repeat(38), `${id(1, A)}0`])('refuses %p', (text) => {
    expect(() => parseSnapshotId(text, 'replace')).toThrow(/^Input 'replace' must be a snapshot ID in hex/)
  })

  it('refuses a snapshot of another canister before any call', () => {
    expect(() => assertSnapshotOwner(id(1, B), A.toText())).toThrow(/does not belong to canister rwlgt-iiaaa-aaaaa-aaaaa-cai/)
    expect(() => assertSnapshotOwner(id(1, A), A.toText())).not.toThrow()
  })
})

describe('snapshot selection', () => {
  const listed = [0, 1, 2].map((n) => ({ id: id(n, A), takenAtNs: BigInt(n), totalSize: 10n }))

  it('matches explicit IDs to canisters by owner', () => {
    expect(matchByOwner([id(1, A), id(3, B)], [A, B], 'snapshot-id')).toEqual(new Map([[A.toText(), id(1, A)], [B.toText(), id(3, B)]]))
    expect(() => matchByOwner([id(1, B)], [A], 'snapshot-id')).toThrow(InputError)
    expect(() => matchByOwner([id(1, A), id(2, A)], [A], 'snapshot-id')).toThrow(/at most one snapshot ID per canister/)
  })

  it('picks the newest for latest, the exact one for an ID, and says when there is none', () => {
    expect(pickSnapshot(A.toText(), listed, { kind: 'latest' }, 'snapshot-id').id).toBe(id(2, A))
    expect(pickSnapshot(A.toText(), listed, { kind: 'ids', byOwner: new Map([[A.toText(), id(1, A)]]) }, 'snapshot-id').id).toBe(id(1, A))
    expect(() => pickSnapshot(A.toText(), [], { kind: 'latest' }, 'snapshot-id')).toThrow(SnapshotNotFoundError)
    expect(() => pickSnapshot(A.toText(), listed, { kind: 'ids', byOwner: new Map([[A.toText(), id(7, A)]]) }, 'snapshot-id')).toThrow(SnapshotNotFoundError)
  })
})
