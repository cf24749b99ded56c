/**
 * The seams between the emulator's three layers, fixed up front so each can be built and tested on
 * its own:
 *
 *   http/      (wire: CBOR, signatures, certificates, routing, latency, HTTP faults)
 *     └─ calls a `Replica`
 *   replica/   (canisters, controllers, cycles, management canister, snapshots, Candid)
 *     └─ runs code through a `WasmEngine`
 *   execution/ (WebAssembly instantiation and the ic0 System API)
 *
 * Only plain bytes and principals cross these seams; Candid stays inside replica/ and execution/.
 */
import type { Principal } from '@icp-sdk/core/principal'

/** IC reject codes; 6 (SYS_UNKNOWN) is never sent because ic-transport-types rejects it. */
export type RejectCode = 1 | 2 | 3 | 4 | 5

export interface Reject {
  code: RejectCode
  message: string
  /** `IC` + 4 digits, first digit = `code`, e.g. `IC0512`. */
  errorCode: string
}

export type ExecResult = { reply: Uint8Array } | { reject: Reject }

export interface MessageContext {
  sender: Principal
  /** The callee; `aaaaa-aa` for the management canister. */
  canisterId: Principal
  methodName: string
  arg: Uint8Array
  /** The URL's effective canister id (calls and queries): the subnet the boundary node routed it to. */
  effectiveCanisterId?: Principal
}

/** What the state tree publishes under `/canister/<cid>/…`. */
export interface CanisterPublicInfo {
  controllers: Principal[]
  /** SHA-256 of the installed module; undefined for an empty canister (path then absent). */
  moduleHash?: Uint8Array
  /** Custom sections `icp:public <name>` / `icp:private <name>`, by `<name>`. */
  metadata: Map<string, Uint8Array>
}

/** Wall clock in nanoseconds, with test-controlled skew. Shared by every layer. */
export interface Clock {
  nowNs(): bigint
  /** Shift the emulator's clock by `ms` (positive = ahead of real time). */
  skew(ms: number): void
}

export interface Replica {
  /**
   * The ingress filter: a reject here is a non-replicated rejection (HTTP 200,
   * `status: "non_replicated_rejection"`) and the call never executes. Covers, for example, a
   * missing canister (IC0301), a non-controller calling a controller-only management method
   * (IC0512), and a stopped or stopping target (IC0508 / IC0509).
   */
  inspectIngress(msg: MessageContext): Reject | null
  /**
   * Executes an update call once. May take long (a `stop_canister` resolves only when the canister
   * is stopped, or rejects with IC0206 on timeout); the HTTP layer answers 202 meanwhile.
   */
  executeUpdate(msg: MessageContext): Promise<ExecResult>
  /** Executes a query (also the management canister's `canister_status`, a query on the IC). */
  executeQuery(msg: MessageContext): ExecResult
  /** Every canister that exists, for `/subnet/<sid>/canister_ranges` and ecid checks. */
  hasCanister(id: Principal): boolean
  canisterInfo(id: Principal): CanisterPublicInfo | undefined
}

/** A Wasm global as the snapshot API carries it (`read_canister_snapshot_metadata` `globals`). */
export type WasmGlobal =
  | { i32: number }
  | { i64: bigint }
  | { f32: number }
  | { f64: number }
  | { v128: bigint }

/** Everything a snapshot captures of a canister's execution, as plain copies. */
export interface ExecutionSnapshot {
  wasmModule: Uint8Array
  wasmMemory: Uint8Array
  stableMemory: Uint8Array
  /** Exported mutable globals, in export order. */
  globals: WasmGlobal[]
  certifiedData: Uint8Array
  /** `undefined` = inactive; otherwise the deadline in ns. */
  globalTimer?: bigint
}

/** What the System API may ask the replica about the canister it runs in. */
export interface ExecutionEnv {
  canisterId: Principal
  caller: Principal
  timeNs: bigint
  cycleBalance: bigint
  /** 1 running, 2 stopping, 3 stopped (ic0.canister_status). */
  status: 1 | 2 | 3
  canisterVersion: bigint
  /** Destination for ic0.debug_print. */
  debugPrint(text: string): void
}

/** A module that install_code must refuse (bad Wasm, unknown ic0 import…); message names why. */
export class InvalidModuleError extends Error {
  override name = 'InvalidModuleError'
}

/** One installed canister's live code and memories. Implemented by execution/. */
export interface WasmCanister {
  readonly moduleHash: Uint8Array
  /** `canister_update <name>` / `canister_query <name>` exports without the prefix. */
  readonly updateMethods: ReadonlySet<string>
  readonly queryMethods: ReadonlySet<string>
  /** A trap leaves every memory and global as it was before the call (IC0503 reject). */
  update(method: string, arg: Uint8Array, env: ExecutionEnv): ExecResult
  /** Queries never persist changes. */
  query(method: string, arg: Uint8Array, env: ExecutionEnv): ExecResult
  /** Copies of the current state (for take_canister_snapshot and snapshot data reads). */
  capture(): ExecutionSnapshot
  readonly wasmMemorySize: number
  readonly stableMemorySize: number
  readonly certifiedData: Uint8Array
}

export interface WasmEngine {
  /** install / reinstall: instantiate and run `canister_init`. Throws InvalidModuleError. */
  install(wasmModule: Uint8Array, arg: Uint8Array, env: ExecutionEnv): Promise<WasmCanister>
  /** `canister_pre_upgrade` on `current`, then a new instance with the same stable memory,
   * then `canister_post_upgrade`. Throws (trap) leaving `current` untouched. */
  upgrade(current: WasmCanister, wasmModule: Uint8Array, arg: Uint8Array, env: ExecutionEnv): Promise<WasmCanister>
  /** load_canister_snapshot: a canister whose memories and globals are exactly the snapshot's. */
  restore(snapshot: ExecutionSnapshot): Promise<WasmCanister>
}
