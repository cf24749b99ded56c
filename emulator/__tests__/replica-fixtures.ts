/**
 * Shared set-up for the replica tests: a real Wasm engine, a small probe canister written in WAT,
 * and helpers that call the replica the way the HTTP layer does (Candid-encoded arguments, plain
 * principals). The Candid below is written from the client's side of ic.did, independently of
 * the replica's own types, so an encoding mismatch between the two shows up as a failure.
 */
import { expect } from '@jest/globals'
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import wabtInit from 'wabt'
import type { Clock, ExecResult, Reject } from '../src/contracts.js'
import { createWasmEngine } from '../src/execution/index.js'
import { IcReplica, type SubnetLayout } from '../src/replica/index.js'

export const MANAGEMENT = Principal.managementCanister()
export const ALICE = Principal.selfAuthenticating(new Uint8Array([1, 2, 3]))
export const BOB = Principal.selfAuthenticating(new Uint8Array([4, 5, 6]))
export const CAROL = Principal.selfAuthenticating(new Uint8Array([7, 8, 9]))

/** A clock that advances one second per reading, so timestamps are distinct and ordered. */
export function steppingClock(startNs = 1_700_000_000_000_000_000n): Clock {
  let now = startNs
  return {
    nowNs: () => (now += 1_000_000_000n),
    skew: (ms: number) => {
      now += BigInt(ms) * 1_000_000n
    }
  }
}

/** A bare replica: one subnet over every canister id unless `topology` gives it the network's subnets. */
export function newReplica(opts: { stopTimeoutMs?: number; topology?: SubnetLayout } = {}): IcReplica {
  return new IcReplica({ clock: steppingClock(), engine: createWasmEngine(), stopTimeoutMs: opts.stopTimeoutMs, topology: opts.topology })
}

/**
 * The probe canister. `set(blob)` bumps the exported globals, copies the argument to heap offset
 * 4096, stable memory offset 0 and certified data, and replies. `get` replies with the counter
 * (4 bytes LE) followed by the first `size` stored bytes of stable memory. Version 2 exports one
 * more query, `v2`, so the module (and its hash) differ.
 */
function probeWat(version: 1 | 2): string {
  return `(module
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "stable64_size" (func $stable_size (result i64)))
  (import "ic0" "stable64_grow" (func $stable_grow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $stable_write (param i64 i64 i64)))
  (import "ic0" "stable64_read" (func $stable_read (param i64 i64 i64)))
  (import "ic0" "certified_data_set" (func $certify (param i32 i32)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (global $big (export "big") (mut i64) (i64.const 0))
  (global $stored (mut i32) (i32.const 0))
  (func (export "canister_update set")
    (local $n i32)
    (local.set $n (call $arg_size))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.set $big (i64.mul (i64.extend_i32_u (global.get $counter)) (i64.const 1000000007)))
    (call $arg_copy (i32.const 4096) (i32.const 0) (local.get $n))
    (if (i64.eqz (call $stable_size)) (then (drop (call $stable_grow (i64.const 1)))))
    (call $stable_write (i64.const 0) (i64.const 4096) (i64.extend_i32_u (local.get $n)))
    (call $certify (i32.const 4096) (select (local.get $n) (i32.const 32) (i32.lt_u (local.get $n) (i32.const 32))))
    (global.set $stored (local.get $n))
    (call $reply))
  (func (export "canister_query get")
    (i32.store (i32.const 0) (global.get $counter))
    (call $append (i32.const 0) (i32.const 4))
    (if (i64.ne (call $stable_size) (i64.const 0))
      (then
        (call $stable_read (i64.const 8) (i64.const 0) (i64.extend_i32_u (global.get $stored)))
        (call $append (i32.const 8) (global.get $stored))))
    (call $reply))
  ${version === 2 ? '(func (export "canister_query v2") (call $reply))' : ''}
)`
}

const modules = new Map<number, Uint8Array>()

export async function probeModule(version: 1 | 2 = 1): Promise<Uint8Array> {
  const cached = modules.get(version)
  if (cached) return cached
  const wabt = await wabtInit()
  const parsed = wabt.parseWat(`probe-v${version}.wat`, probeWat(version))
  try {
    const { buffer } = parsed.toBinary({})
    const bytes = new Uint8Array(buffer)
    modules.set(version, bytes)
    return bytes
  } finally {
    parsed.destroy()
  }
}

/** Client-side Candid of the management methods the tests call. */
const Snapshot = IDL.Record({ id: IDL.Vec(IDL.Nat8), taken_at_timestamp: IDL.Nat64, total_size: IDL.Nat64 })
const Global = IDL.Variant({ i32: IDL.Int32, i64: IDL.Int64, f32: IDL.Float32, f64: IDL.Float64, v128: IDL.Nat })
const Slice = IDL.Record({ offset: IDL.Nat64, size: IDL.Nat64 })
const Visibility = IDL.Variant({ controllers: IDL.Null, public: IDL.Null, allowed_viewers: IDL.Vec(IDL.Principal) })
const GlobalTimer = IDL.Variant({ inactive: IDL.Null, active: IDL.Nat64 })
const HookStatus = IDL.Variant({ condition_not_satisfied: IDL.Null, ready: IDL.Null, executed: IDL.Null })

export const Mgmt = {
  provisional_create_canister_with_cycles: {
    arg: IDL.Record({
      amount: IDL.Opt(IDL.Nat),
      settings: IDL.Opt(IDL.Record({ controllers: IDL.Opt(IDL.Vec(IDL.Principal)) })),
      specified_id: IDL.Opt(IDL.Principal),
      sender_canister_version: IDL.Opt(IDL.Nat64)
    }),
    ret: [IDL.Record({ canister_id: IDL.Principal })]
  },
  install_code: {
    arg: IDL.Record({
      mode: IDL.Variant({
        install: IDL.Null,
        reinstall: IDL.Null,
        upgrade: IDL.Opt(IDL.Record({ skip_pre_upgrade: IDL.Opt(IDL.Bool) }))
      }),
      canister_id: IDL.Principal,
      wasm_module: IDL.Vec(IDL.Nat8),
      arg: IDL.Vec(IDL.Nat8),
      sender_canister_version: IDL.Opt(IDL.Nat64)
    }),
    ret: []
  },
  uninstall_code: { arg: IDL.Record({ canister_id: IDL.Principal, sender_canister_version: IDL.Opt(IDL.Nat64) }), ret: [] },
  update_settings: {
    arg: IDL.Record({
      canister_id: IDL.Principal,
      // The @icp-sdk/canisters 3.6.0 shape: no status_visibility, no minimum_incoming_canister_call_cycles.
      settings: IDL.Record({
        controllers: IDL.Opt(IDL.Vec(IDL.Principal)),
        freezing_threshold: IDL.Opt(IDL.Nat),
        snapshot_visibility: IDL.Opt(Visibility)
      }),
      sender_canister_version: IDL.Opt(IDL.Nat64)
    }),
    ret: []
  },
  canister_status: {
    arg: IDL.Record({ canister_id: IDL.Principal }),
    ret: [
      IDL.Record({
        status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
        ready_for_migration: IDL.Bool,
        version: IDL.Nat64,
        settings: IDL.Record({
          controllers: IDL.Vec(IDL.Principal),
          compute_allocation: IDL.Nat,
          memory_allocation: IDL.Nat,
          freezing_threshold: IDL.Nat,
          reserved_cycles_limit: IDL.Nat,
          minimum_incoming_canister_call_cycles: IDL.Nat,
          log_visibility: Visibility,
          snapshot_visibility: Visibility,
          status_visibility: Visibility,
          wasm_memory_limit: IDL.Nat,
          wasm_memory_threshold: IDL.Nat,
          environment_variables: IDL.Vec(IDL.Record({ name: IDL.Text, value: IDL.Text })),
          log_memory_limit: IDL.Nat
        }),
        module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
        memory_size: IDL.Nat,
        memory_metrics: IDL.Record({
          wasm_memory_size: IDL.Nat,
          stable_memory_size: IDL.Nat,
          global_memory_size: IDL.Nat,
          wasm_binary_size: IDL.Nat,
          custom_sections_size: IDL.Nat,
          canister_history_size: IDL.Nat,
          wasm_chunk_store_size: IDL.Nat,
          snapshots_size: IDL.Nat,
          log_memory_store_size: IDL.Nat
        }),
        cycles: IDL.Nat,
        reserved_cycles: IDL.Nat,
        idle_cycles_burned_per_day: IDL.Nat,
        query_stats: IDL.Record({
          num_calls_total: IDL.Nat,
          num_instructions_total: IDL.Nat,
          request_payload_bytes_total: IDL.Nat,
          response_payload_bytes_total: IDL.Nat
        })
      })
    ]
  },
  stop_canister: { arg: IDL.Record({ canister_id: IDL.Principal }), ret: [] },
  start_canister: { arg: IDL.Record({ canister_id: IDL.Principal }), ret: [] },
  delete_canister: { arg: IDL.Record({ canister_id: IDL.Principal }), ret: [] },
  take_canister_snapshot: {
    arg: IDL.Record({
      canister_id: IDL.Principal,
      replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)),
      uninstall_code: IDL.Opt(IDL.Bool),
      sender_canister_version: IDL.Opt(IDL.Nat64)
    }),
    ret: [Snapshot]
  },
  load_canister_snapshot: {
    arg: IDL.Record({
      canister_id: IDL.Principal,
      snapshot_id: IDL.Vec(IDL.Nat8),
      sender_canister_version: IDL.Opt(IDL.Nat64)
    }),
    ret: []
  },
  list_canister_snapshots: { arg: IDL.Record({ canister_id: IDL.Principal }), ret: [IDL.Vec(Snapshot)] },
  delete_canister_snapshot: {
    arg: IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8) }),
    ret: []
  },
  read_canister_snapshot_metadata: {
    arg: IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8) }),
    ret: [
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
    ]
  },
  read_canister_snapshot_data: {
    arg: IDL.Record({
      canister_id: IDL.Principal,
      snapshot_id: IDL.Vec(IDL.Nat8),
      kind: IDL.Variant({
        wasm_module: Slice,
        wasm_memory: Slice,
        stable_memory: Slice,
        wasm_chunk: IDL.Record({ hash: IDL.Vec(IDL.Nat8) })
      })
    }),
    ret: [IDL.Record({ chunk: IDL.Vec(IDL.Nat8) })]
  },
  upload_canister_snapshot_metadata: {
    arg: IDL.Record({
      canister_id: IDL.Principal,
      replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)),
      wasm_module_size: IDL.Nat64,
      globals: IDL.Vec(Global),
      wasm_memory_size: IDL.Nat64,
      stable_memory_size: IDL.Nat64,
      certified_data: IDL.Vec(IDL.Nat8),
      global_timer: IDL.Opt(GlobalTimer),
      on_low_wasm_memory_hook_status: IDL.Opt(HookStatus)
    }),
    ret: [IDL.Record({ snapshot_id: IDL.Vec(IDL.Nat8) })]
  },
  upload_canister_snapshot_data: {
    arg: IDL.Record({
      canister_id: IDL.Principal,
      snapshot_id: IDL.Vec(IDL.Nat8),
      kind: IDL.Variant({
        wasm_module: IDL.Record({ offset: IDL.Nat64 }),
        wasm_memory: IDL.Record({ offset: IDL.Nat64 }),
        stable_memory: IDL.Record({ offset: IDL.Nat64 }),
        wasm_chunk: IDL.Null
      }),
      chunk: IDL.Vec(IDL.Nat8)
    }),
    ret: []
  }
} as const

export type MgmtMethod = keyof typeof Mgmt

export function encodeCall(method: MgmtMethod, arg: Record<string, unknown>): Uint8Array {
  return IDL.encode([Mgmt[method].arg], [arg])
}

/** Runs a management update through the ingress filter and execution, as the HTTP layer does. */
export async function mgmt(replica: IcReplica, sender: Principal, method: MgmtMethod, arg: Record<string, unknown>): Promise<ExecResult> {
  const msg = { sender, canisterId: MANAGEMENT, methodName: method, arg: encodeCall(method, arg) }
  const rejected = replica.inspectIngress(msg)
  if (rejected) return { reject: rejected }
  return replica.executeUpdate(msg)
}

/** A management call that must succeed; returns its decoded reply values. */
export async function mgmtOk(replica: IcReplica, sender: Principal, method: MgmtMethod, arg: Record<string, unknown>): Promise<unknown[]> {
  const result = await mgmt(replica, sender, method, arg)
  if ('reject' in result) throw new Error(`${method} was rejected: ${result.reject.errorCode} ${result.reject.message}`)
  return IDL.decode([...Mgmt[method].ret], result.reply)
}

export function expectReject(result: ExecResult, errorCode: string, message?: string | RegExp): Reject {
  if (!('reject' in result)) throw new Error(`expected a reject with ${errorCode}, got a reply`)
  expect(result.reject.errorCode).toBe(errorCode)
  expect(result.reject.code).toBe(Number(errorCode[3]))
  if (typeof message === 'string') expect(result.reject.message).toBe(message)
  else if (message) expect(result.reject.message).toMatch(message)
  return result.reject
}

export function replyBytes(result: ExecResult): Uint8Array {
  if ('reject' in result) throw new Error(`expected a reply, got ${result.reject.errorCode} ${result.reject.message}`)
  return result.reply
}

export interface SnapshotInfo {
  id: Uint8Array
  taken_at_timestamp: bigint
  total_size: bigint
}

/** Creates a canister controlled by `controller` with the probe installed and `set(data)` applied. */
export async function probeCanister(replica: IcReplica, controller: Principal, data?: Uint8Array, cycles?: bigint): Promise<Principal> {
  const id = await replica.createCanister({ controllers: [controller], cycles, wasmModule: await probeModule(1) })
  if (data) await setProbe(replica, controller, id, data)
  return id
}

export async function setProbe(replica: IcReplica, sender: Principal, id: Principal, data: Uint8Array): Promise<void> {
  replyBytes(await replica.executeUpdate({ sender, canisterId: id, methodName: 'set', arg: data }))
}

export function getProbe(replica: IcReplica, id: Principal): { counter: number; stored: Uint8Array } {
  const reply = replyBytes(replica.executeQuery({ sender: Principal.anonymous(), canisterId: id, methodName: 'get', arg: new Uint8Array() }))
  return { counter: new DataView(reply.buffer, reply.byteOffset).getUint32(0, true), stored: reply.slice(4) }
}

export async function takeSnapshot(replica: IcReplica, sender: Principal, id: Principal, opts: { replace?: Uint8Array; uninstall?: boolean } = {}): Promise<SnapshotInfo> {
  const [info] = await mgmtOk(replica, sender, 'take_canister_snapshot', {
    canister_id: id,
    replace_snapshot: opts.replace ? [opts.replace] : [],
    uninstall_code: opts.uninstall === undefined ? [] : [opts.uninstall],
    sender_canister_version: []
  })
  return info as SnapshotInfo
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
