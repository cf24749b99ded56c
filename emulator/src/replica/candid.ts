/**
 * Candid types of the management canister methods the emulator serves.
 *
 * Mirrors `dfinity/developer-docs` `public/references/ic.did` @ b58cf042, the management canister's
 * interface in the IC interface specification
 * (https://internetcomputer.org/docs/references/ic-interface-spec, "The IC management canister").
 * Handlers encode the full current records: icp-cli 1.5.0 decodes `canister_status` strictly with
 * the `ic-management-canister-types` 0.8.0 crate, whose `DefiniteCanisterSettings` has non-optional
 * fields that older shapes lack, and Candid decoders ignore record fields they do not know, so
 * older clients accept them too. The `statusShape` option re-encodes them as an older or newer
 * replica would (reply-shapes.ts). `log_memory_limit` and `log_memory_store_size` are newer than
 * that ic.did; a `canister_status` reply checked against icp-cli 1.5.0 carried them.
 */
import { IDL } from '@icp-sdk/core/candid'
import type { Principal } from '@icp-sdk/core/principal'
import { blobRecordEncoder, exactDecoder } from './candid-fast-path.js'
import { Errors, fail } from './errors.js'

const Visibility = IDL.Variant({
  controllers: IDL.Null,
  public: IDL.Null,
  allowed_viewers: IDL.Vec(IDL.Principal)
})

const EnvironmentVariable = IDL.Record({ name: IDL.Text, value: IDL.Text })

const CanisterSettings = IDL.Record({
  controllers: IDL.Opt(IDL.Vec(IDL.Principal)),
  compute_allocation: IDL.Opt(IDL.Nat),
  memory_allocation: IDL.Opt(IDL.Nat),
  freezing_threshold: IDL.Opt(IDL.Nat),
  reserved_cycles_limit: IDL.Opt(IDL.Nat),
  minimum_incoming_canister_call_cycles: IDL.Opt(IDL.Nat),
  log_visibility: IDL.Opt(Visibility),
  snapshot_visibility: IDL.Opt(Visibility),
  status_visibility: IDL.Opt(Visibility),
  wasm_memory_limit: IDL.Opt(IDL.Nat),
  wasm_memory_threshold: IDL.Opt(IDL.Nat),
  environment_variables: IDL.Opt(IDL.Vec(EnvironmentVariable)),
  log_memory_limit: IDL.Opt(IDL.Nat)
})

const DefiniteCanisterSettings = IDL.Record({
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
  environment_variables: IDL.Vec(EnvironmentVariable),
  log_memory_limit: IDL.Nat
})

const CanisterIdRecord = IDL.Record({ canister_id: IDL.Principal })

const SnapshotInfo = IDL.Record({
  id: IDL.Vec(IDL.Nat8),
  taken_at_timestamp: IDL.Nat64,
  total_size: IDL.Nat64
})

const Global = IDL.Variant({
  i32: IDL.Int32,
  i64: IDL.Int64,
  f32: IDL.Float32,
  f64: IDL.Float64,
  v128: IDL.Nat
})

const GlobalTimer = IDL.Variant({ inactive: IDL.Null, active: IDL.Nat64 })

const LowWasmMemoryHookStatus = IDL.Variant({
  condition_not_satisfied: IDL.Null,
  ready: IDL.Null,
  executed: IDL.Null
})

const SnapshotSource = IDL.Variant({ taken_from_canister: IDL.Reserved, metadata_upload: IDL.Reserved })

const Slice = IDL.Record({ offset: IDL.Nat64, size: IDL.Nat64 })
const Offset = IDL.Record({ offset: IDL.Nat64 })

/** Argument and result types per method: `[args, results]`, as `IDL.Func` would take them. */
export const MANAGEMENT_TYPES = {
  provisional_create_canister_with_cycles: [
    [
      IDL.Record({
        amount: IDL.Opt(IDL.Nat),
        settings: IDL.Opt(CanisterSettings),
        specified_id: IDL.Opt(IDL.Principal),
        sender_canister_version: IDL.Opt(IDL.Nat64)
      })
    ],
    [CanisterIdRecord]
  ],
  provisional_top_up_canister: [[IDL.Record({ canister_id: IDL.Principal, amount: IDL.Nat })], []],
  install_code: [
    [
      IDL.Record({
        mode: IDL.Variant({
          install: IDL.Null,
          reinstall: IDL.Null,
          upgrade: IDL.Opt(
            IDL.Record({
              skip_pre_upgrade: IDL.Opt(IDL.Bool),
              wasm_memory_persistence: IDL.Opt(IDL.Variant({ keep: IDL.Null, replace: IDL.Null }))
            })
          )
        }),
        canister_id: IDL.Principal,
        wasm_module: IDL.Vec(IDL.Nat8),
        arg: IDL.Vec(IDL.Nat8),
        sender_canister_version: IDL.Opt(IDL.Nat64)
      })
    ],
    []
  ],
  uninstall_code: [
    [IDL.Record({ canister_id: IDL.Principal, sender_canister_version: IDL.Opt(IDL.Nat64) })],
    []
  ],
  update_settings: [
    [
      IDL.Record({
        canister_id: IDL.Principal,
        settings: CanisterSettings,
        sender_canister_version: IDL.Opt(IDL.Nat64)
      })
    ],
    []
  ],
  canister_status: [
    [CanisterIdRecord],
    [
      IDL.Record({
        status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
        ready_for_migration: IDL.Bool,
        version: IDL.Nat64,
        settings: DefiniteCanisterSettings,
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
  ],
  stop_canister: [[CanisterIdRecord], []],
  start_canister: [[CanisterIdRecord], []],
  delete_canister: [[CanisterIdRecord], []],
  take_canister_snapshot: [
    [
      IDL.Record({
        canister_id: IDL.Principal,
        replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)),
        uninstall_code: IDL.Opt(IDL.Bool),
        sender_canister_version: IDL.Opt(IDL.Nat64)
      })
    ],
    [SnapshotInfo]
  ],
  load_canister_snapshot: [
    [
      IDL.Record({
        canister_id: IDL.Principal,
        snapshot_id: IDL.Vec(IDL.Nat8),
        sender_canister_version: IDL.Opt(IDL.Nat64)
      })
    ],
    []
  ],
  list_canister_snapshots: [[CanisterIdRecord], [IDL.Vec(SnapshotInfo)]],
  delete_canister_snapshot: [
    [IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8) })],
    []
  ],
  read_canister_snapshot_metadata: [
    [IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8) })],
    [
      IDL.Record({
        source: SnapshotSource,
        taken_at_timestamp: IDL.Nat64,
        wasm_module_size: IDL.Nat64,
        globals: IDL.Vec(Global),
        wasm_memory_size: IDL.Nat64,
        stable_memory_size: IDL.Nat64,
        wasm_chunk_store: IDL.Vec(IDL.Record({ hash: IDL.Vec(IDL.Nat8) })),
        canister_version: IDL.Nat64,
        certified_data: IDL.Vec(IDL.Nat8),
        global_timer: IDL.Opt(GlobalTimer),
        on_low_wasm_memory_hook_status: IDL.Opt(LowWasmMemoryHookStatus)
      })
    ]
  ],
  read_canister_snapshot_data: [
    [
      IDL.Record({
        canister_id: IDL.Principal,
        snapshot_id: IDL.Vec(IDL.Nat8),
        kind: IDL.Variant({
          wasm_module: Slice,
          wasm_memory: Slice,
          stable_memory: Slice,
          wasm_chunk: IDL.Record({ hash: IDL.Vec(IDL.Nat8) })
        })
      })
    ],
    [IDL.Record({ chunk: IDL.Vec(IDL.Nat8) })]
  ],
  upload_canister_snapshot_metadata: [
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
        on_low_wasm_memory_hook_status: IDL.Opt(LowWasmMemoryHookStatus)
      })
    ],
    [IDL.Record({ snapshot_id: IDL.Vec(IDL.Nat8) })]
  ],
  upload_canister_snapshot_data: [
    [
      IDL.Record({
        canister_id: IDL.Principal,
        snapshot_id: IDL.Vec(IDL.Nat8),
        kind: IDL.Variant({
          wasm_module: Offset,
          wasm_memory: Offset,
          stable_memory: Offset,
          wasm_chunk: IDL.Null
        }),
        chunk: IDL.Vec(IDL.Nat8)
      })
    ],
    []
  ]
} satisfies Record<string, [IDL.Type[], IDL.Type[]]>

export type ManagementMethod = keyof typeof MANAGEMENT_TYPES

export function isManagementMethod(name: string): name is ManagementMethod {
  return Object.hasOwn(MANAGEMENT_TYPES, name)
}

/**
 * Decodes the Candid argument of `method` strictly against the current ic.did types; a mismatch is
 * the replica's invalid-payload reject (IC0408) carrying Candid's own message.
 */
export function decodeArg<M extends ManagementMethod>(method: M, bytes: Uint8Array): ArgOf<M> {
  const cached = decodedArgs.get(bytes)
  if (cached?.method === method) return cached.value as ArgOf<M>
  const fast = (FAST_DECODERS[method] as ((bytes: Uint8Array) => ArgOf<M> | undefined) | undefined)?.(bytes)
  if (fast !== undefined) {
    decodedArgs.set(bytes, { method, value: fast })
    return fast
  }
  const [argTypes] = MANAGEMENT_TYPES[method]
  let values: unknown[]
  try {
    values = IDL.decode(argTypes, bytes)
  } catch (error: unknown) {
    fail(Errors.invalidManagementPayload(method, error instanceof Error ? error.message : String(error)))
  }
  if (values.length !== argTypes.length) {
    fail(Errors.invalidManagementPayload(method, `expected ${argTypes.length} argument(s), got ${values.length}`))
  }
  decodedArgs.set(bytes, { method, value: values[0] })
  // IDL.decode has checked the value against the declared type, which ArgOf<M> mirrors.
  return values[0] as ArgOf<M>
}

/**
 * Decoded arguments by their bytes. The ingress filter and execution receive the same `arg`, and
 * decoding a 2 MB upload chunk is costly in @icp-sdk/core 5.4 (`slebDecode` copies the rest of the
 * message for every type-table entry), so each argument is decoded once.
 */
const decodedArgs = new WeakMap<Uint8Array, { method: string; value: unknown }>()

/**
 * Exact fast decoders for arguments that carry megabytes (see candid-fast-path.ts); their blobs
 * are views into the message, so handlers copy what they keep.
 */
const FAST_DECODERS: { [M in ManagementMethod]?: (bytes: Uint8Array) => ArgOf<M> | undefined } = {
  upload_canister_snapshot_data: exactDecoder(MANAGEMENT_TYPES.upload_canister_snapshot_data[0][0])
}

/** `IDL.encode` of `record { chunk : blob }`, byte for byte, without copying the chunk several times. */
const encodeChunkReply = blobRecordEncoder(MANAGEMENT_TYPES.read_canister_snapshot_data[1])

export function encodeReply<M extends ManagementMethod>(method: M, ...values: ReplyOf<M>): Uint8Array {
  if (method === 'read_canister_snapshot_data') {
    return encodeChunkReply((values as ReplyOf<'read_canister_snapshot_data'>)[0].chunk)
  }
  const [, retTypes] = MANAGEMENT_TYPES[method]
  return IDL.encode(retTypes, values)
}

// TypeScript shapes of the decoded values (what `IDL.decode` produces for the types above).

type Opt<T> = [] | [T]
export type VisibilityValue = { controllers: null } | { public: null } | { allowed_viewers: Principal[] }
export type GlobalValue = { i32: number } | { i64: bigint } | { f32: number } | { f64: number } | { v128: bigint }
export type GlobalTimerValue = { inactive: null } | { active: bigint }
export type HookStatusValue = { condition_not_satisfied: null } | { ready: null } | { executed: null }

export interface CanisterSettingsValue {
  controllers: Opt<Principal[]>
  compute_allocation: Opt<bigint>
  memory_allocation: Opt<bigint>
  freezing_threshold: Opt<bigint>
  reserved_cycles_limit: Opt<bigint>
  minimum_incoming_canister_call_cycles: Opt<bigint>
  log_visibility: Opt<VisibilityValue>
  snapshot_visibility: Opt<VisibilityValue>
  status_visibility: Opt<VisibilityValue>
  wasm_memory_limit: Opt<bigint>
  wasm_memory_threshold: Opt<bigint>
  environment_variables: Opt<Array<{ name: string; value: string }>>
  log_memory_limit: Opt<bigint>
}

export interface DefiniteSettingsValue {
  controllers: Principal[]
  compute_allocation: bigint
  memory_allocation: bigint
  freezing_threshold: bigint
  reserved_cycles_limit: bigint
  minimum_incoming_canister_call_cycles: bigint
  log_visibility: VisibilityValue
  snapshot_visibility: VisibilityValue
  status_visibility: VisibilityValue
  wasm_memory_limit: bigint
  wasm_memory_threshold: bigint
  environment_variables: Array<{ name: string; value: string }>
  log_memory_limit: bigint
}

export interface SnapshotInfoValue {
  id: Uint8Array
  taken_at_timestamp: bigint
  total_size: bigint
}

type SliceValue = { offset: bigint; size: bigint }

interface Args {
  provisional_create_canister_with_cycles: {
    amount: Opt<bigint>
    settings: Opt<CanisterSettingsValue>
    specified_id: Opt<Principal>
    sender_canister_version: Opt<bigint>
  }
  provisional_top_up_canister: { canister_id: Principal; amount: bigint }
  install_code: {
    mode:
      | { install: null }
      | { reinstall: null }
      | { upgrade: Opt<{ skip_pre_upgrade: Opt<boolean>; wasm_memory_persistence: Opt<{ keep: null } | { replace: null }> }> }
    canister_id: Principal
    wasm_module: Uint8Array
    arg: Uint8Array
    sender_canister_version: Opt<bigint>
  }
  uninstall_code: { canister_id: Principal; sender_canister_version: Opt<bigint> }
  update_settings: { canister_id: Principal; settings: CanisterSettingsValue; sender_canister_version: Opt<bigint> }
  canister_status: { canister_id: Principal }
  stop_canister: { canister_id: Principal }
  start_canister: { canister_id: Principal }
  delete_canister: { canister_id: Principal }
  take_canister_snapshot: {
    canister_id: Principal
    replace_snapshot: Opt<Uint8Array>
    uninstall_code: Opt<boolean>
    sender_canister_version: Opt<bigint>
  }
  load_canister_snapshot: { canister_id: Principal; snapshot_id: Uint8Array; sender_canister_version: Opt<bigint> }
  list_canister_snapshots: { canister_id: Principal }
  delete_canister_snapshot: { canister_id: Principal; snapshot_id: Uint8Array }
  read_canister_snapshot_metadata: { canister_id: Principal; snapshot_id: Uint8Array }
  read_canister_snapshot_data: {
    canister_id: Principal
    snapshot_id: Uint8Array
    kind:
      | { wasm_module: SliceValue }
      | { wasm_memory: SliceValue }
      | { stable_memory: SliceValue }
      | { wasm_chunk: { hash: Uint8Array } }
  }
  upload_canister_snapshot_metadata: {
    canister_id: Principal
    replace_snapshot: Opt<Uint8Array>
    wasm_module_size: bigint
    globals: GlobalValue[]
    wasm_memory_size: bigint
    stable_memory_size: bigint
    certified_data: Uint8Array
    global_timer: Opt<GlobalTimerValue>
    on_low_wasm_memory_hook_status: Opt<HookStatusValue>
  }
  upload_canister_snapshot_data: {
    canister_id: Principal
    snapshot_id: Uint8Array
    kind:
      | { wasm_module: { offset: bigint } }
      | { wasm_memory: { offset: bigint } }
      | { stable_memory: { offset: bigint } }
      | { wasm_chunk: null }
    chunk: Uint8Array
  }
}

export type ArgOf<M extends ManagementMethod> = Args[M]

interface Replies {
  provisional_create_canister_with_cycles: [{ canister_id: Principal }]
  provisional_top_up_canister: []
  install_code: []
  uninstall_code: []
  update_settings: []
  canister_status: [
    {
      status: { running: null } | { stopping: null } | { stopped: null }
      ready_for_migration: boolean
      version: bigint
      settings: DefiniteSettingsValue
      module_hash: Opt<Uint8Array>
      memory_size: bigint
      memory_metrics: {
        wasm_memory_size: bigint
        stable_memory_size: bigint
        global_memory_size: bigint
        wasm_binary_size: bigint
        custom_sections_size: bigint
        canister_history_size: bigint
        wasm_chunk_store_size: bigint
        snapshots_size: bigint
        log_memory_store_size: bigint
      }
      cycles: bigint
      reserved_cycles: bigint
      idle_cycles_burned_per_day: bigint
      query_stats: {
        num_calls_total: bigint
        num_instructions_total: bigint
        request_payload_bytes_total: bigint
        response_payload_bytes_total: bigint
      }
    }
  ]
  stop_canister: []
  start_canister: []
  delete_canister: []
  take_canister_snapshot: [SnapshotInfoValue]
  load_canister_snapshot: []
  list_canister_snapshots: [SnapshotInfoValue[]]
  delete_canister_snapshot: []
  read_canister_snapshot_metadata: [
    {
      source: { taken_from_canister: null } | { metadata_upload: null }
      taken_at_timestamp: bigint
      wasm_module_size: bigint
      globals: GlobalValue[]
      wasm_memory_size: bigint
      stable_memory_size: bigint
      wasm_chunk_store: Array<{ hash: Uint8Array }>
      canister_version: bigint
      certified_data: Uint8Array
      global_timer: Opt<GlobalTimerValue>
      on_low_wasm_memory_hook_status: Opt<HookStatusValue>
    }
  ]
  read_canister_snapshot_data: [{ chunk: Uint8Array }]
  upload_canister_snapshot_metadata: [{ snapshot_id: Uint8Array }]
  upload_canister_snapshot_data: []
}

export type ReplyOf<M extends ManagementMethod> = Replies[M]
