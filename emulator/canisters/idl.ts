/**
 * Candid IDL factories of the test canisters, the same interfaces as counter.did and ballast.did
 * (which the modules carry as `candid:service` metadata), for `Actor.createActor`.
 */
import type { IDL } from '@icp-sdk/core/candid'

export interface CounterService {
  inc: () => Promise<bigint>
  get: () => Promise<bigint>
  set: (value: bigint) => Promise<undefined>
}

export interface BallastService {
  /** Adds `heapMib` MiB of heap and `stableMib` MiB of stable memory; returns the checksum. */
  grow: (heapMib: number, stableMib: number) => Promise<bigint>
  checksum: () => Promise<bigint>
}

export const counterIdl: IDL.InterfaceFactory = ({ IDL }) =>
  IDL.Service({
    inc: IDL.Func([], [IDL.Nat64], []),
    get: IDL.Func([], [IDL.Nat64], ['query']),
    set: IDL.Func([IDL.Nat64], [], [])
  })

export const ballastIdl: IDL.InterfaceFactory = ({ IDL }) =>
  IDL.Service({
    grow: IDL.Func([IDL.Nat32, IDL.Nat32], [IDL.Nat64], []),
    checksum: IDL.Func([], [IDL.Nat64], ['query'])
  })
