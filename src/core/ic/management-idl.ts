/**
 * The Candid of the management canister methods this project calls, declaring in each reply only
 * the fields the action reads.
 *
 * Why not `IcManagementCanister`'s IDL: it declares the newest `canister_status_result`, whose
 * `memory_metrics`, `ready_for_migration`, `version`, `snapshot_visibility` and
 * `environment_variables` are required, so a reply from a replica that does not send them yet
 * fails to decode (a test proves it). Candid lets a reader declare fewer record fields than the
 * reply carries (extra fields are skipped, extra variant cases too unless they are the value), and
 * an `opt` field missing from the reply decodes as null; so these types accept older replicas'
 * records and newer ones alike. `memory_metrics` is `opt` here for that reason: a non-opt record
 * on the wire decodes as `[value]`, an absent one as `[]`.
 *
 * Arguments carry only the fields the action sets: the replica reads an absent `opt` field as null.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-management-canister
 * @see https://github.com/dfinity/candid/blob/master/spec/Candid.md#upgrading-and-subtyping
 */
import type { IDL as IDLNamespace } from '@icp-sdk/core/candid'
import type { Principal } from '@icp-sdk/core/principal'

type Opt<T> = [] | [T]

export interface StatusReply {
  status: { running: null } | { stopping: null } | { stopped: null }
  settings: { controllers: Principal[]; freezing_threshold: bigint }
  module_hash: Opt<Uint8Array | number[]>
  memory_metrics: Opt<{
    wasm_memory_size: bigint
    stable_memory_size: bigint
    global_memory_size: bigint
    wasm_binary_size: bigint
    wasm_chunk_store_size: bigint
  }>
  cycles: bigint
  idle_cycles_burned_per_day: bigint
}

export interface SnapshotReply {
  id: Uint8Array | number[]
  taken_at_timestamp: bigint
  total_size: bigint
}

type GlobalReply = { i32: number } | { i64: bigint } | { f32: number } | { f64: number } | { v128: bigint }

export interface MetadataReply {
  source: { taken_from_canister: null } | { metadata_upload: null }
  taken_at_timestamp: bigint
  wasm_module_size: bigint
  globals: GlobalReply[]
  wasm_memory_size: bigint
  stable_memory_size: bigint
  wasm_chunk_store: Array<{ hash: Uint8Array | number[] }>
  canister_version: bigint
  certified_data: Uint8Array | number[]
  global_timer: Opt<{ inactive: null } | { active: bigint }>
  on_low_wasm_memory_hook_status: Opt<{ condition_not_satisfied: null } | { ready: null } | { executed: null }>
}

/** The service as the agent's `Actor` sees it; `certified` makes `canister_status` an update call. */
export function managementIdl(certified: boolean): IDLNamespace.InterfaceFactory {
  return ({ IDL }) => {
    const CanisterId = IDL.Record({ canister_id: IDL.Principal })
    const SnapshotArgs = IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8) })
    const Snapshot = IDL.Record({ id: IDL.Vec(IDL.Nat8), taken_at_timestamp: IDL.Nat64, total_size: IDL.Nat64 })
    const Global = IDL.Variant({ i32: IDL.Int32, i64: IDL.Int64, f32: IDL.Float32, f64: IDL.Float64, v128: IDL.Nat })
    const GlobalTimer = IDL.Variant({ inactive: IDL.Null, active: IDL.Nat64 })
    const HookStatus = IDL.Variant({ condition_not_satisfied: IDL.Null, ready: IDL.Null, executed: IDL.Null })
    const Slice = IDL.Record({ offset: IDL.Nat64, size: IDL.Nat64 })
    const Status = IDL.Record({
      status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
      settings: IDL.Record({ controllers: IDL.Vec(IDL.Principal), freezing_threshold: IDL.Nat }),
      module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
      memory_metrics: IDL.Opt(
        IDL.Record({
          wasm_memory_size: IDL.Nat,
          stable_memory_size: IDL.Nat,
          global_memory_size: IDL.Nat,
          wasm_binary_size: IDL.Nat,
          wasm_chunk_store_size: IDL.Nat
        })
      ),
      cycles: IDL.Nat,
      idle_cycles_burned_per_day: IDL.Nat
    })
    return IDL.Service({
      canister_status: IDL.Func([CanisterId], [Status], certified ? [] : ['query']),
      stop_canister: IDL.Func([CanisterId], [], []),
      start_canister: IDL.Func([CanisterId], [], []),
      take_canister_snapshot: IDL.Func([IDL.Record({ canister_id: IDL.Principal, replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)) })], [Snapshot], []),
      load_canister_snapshot: IDL.Func([SnapshotArgs], [], []),
      list_canister_snapshots: IDL.Func([CanisterId], [IDL.Vec(Snapshot)], []),
      delete_canister_snapshot: IDL.Func([SnapshotArgs], [], []),
      read_canister_snapshot_metadata: IDL.Func(
        [SnapshotArgs],
        [
          IDL.Record({
            source: IDL.Variant({ taken_from_canister: IDL.Reserved, metadata_upload: IDL.Reserved }),
            taken_at_timestamp: IDL.Nat64,
            wasm_module_size: IDL.Nat64,
            globals: IDL.Vec(Global),
            wasm_memory_size: IDL.Nat64,
            stable_memory_size: IDL.Nat64,
            wasm_chunk_store: IDL.Vec(IDL.Record({ hash: IDL.Vec(IDL.Nat8) })),
            canister_version: IDL.Nat64,
            certified_data: IDL.Vec(IDL.Nat8),
            global_timer: IDL.Opt(GlobalTimer),
            on_low_wasm_memory_hook_status: IDL.Opt(HookStatus)
          })
        ],
        []
      ),
      read_canister_snapshot_data: IDL.Func(
        [
          IDL.Record({
            canister_id: IDL.Principal,
            snapshot_id: IDL.Vec(IDL.Nat8),
            kind: IDL.Variant({ wasm_module: Slice, wasm_memory: Slice, stable_memory: Slice, wasm_chunk: IDL.Record({ hash: IDL.Vec(IDL.Nat8) }) })
          })
        ],
        [IDL.Record({ chunk: IDL.Vec(IDL.Nat8) })],
        []
      ),
      upload_canister_snapshot_metadata: IDL.Func(
        [
          IDL.Record({
            canister_id: IDL.Principal,
            replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)),
            wasm_module_size: IDL.Nat64,
            globals: IDL.Vec(Global),
            wasm_memory_size: IDL.Nat64,
            stable_memory_size: IDL.Nat64,
            certified_data: IDL.Vec(IDL.Nat8),
            global_timer: IDL.Opt(GlobalTimer),
            on_low_wasm_memory_hook_status: IDL.Opt(HookStatus)
          })
        ],
        [IDL.Record({ snapshot_id: IDL.Vec(IDL.Nat8) })],
        []
      )
    })
  }
}

/** Routes every call by the `canister_id` of its argument (the spec's effective canister id rule). */
export function effectiveCanisterId(_method: string, args: unknown[]): { effectiveCanisterId: Principal } {
  const [arg] = args as [{ canister_id: Principal }]
  return { effectiveCanisterId: arg.canister_id }
}
