/**
 * One installed canister: a live Wasm instance, its stable memory, certified data and global
 * timer, and the message execution that keeps them consistent. A message that traps, and every
 * query, leaves the canister exactly as it was before.
 *
 * Undo is a copy of the heap taken before the message into a scratch buffer shared by all
 * canisters (execution is synchronous, so one buffer suffices), a page journal for stable memory,
 * and saved global values. When the message grew the heap, undo re-instantiates the module,
 * because a Wasm memory cannot shrink.
 */
import type { ExecResult, ExecutionEnv, ExecutionSnapshot, WasmCanister, WasmGlobal } from '../contracts.js'
import { InvalidModuleError } from '../contracts.js'
import type { CompiledModule } from './compiled-module.js'
import {
  CanisterExecutionError,
  HypervisorTrap,
  canisterReject,
  didNotReply,
  toReject,
  trapCodeOf,
  type HypervisorFailure
} from './errors.js'
import type { GlobalValueType } from './module-layout.js'
import { StableMemory, WASM_PAGE_SIZE } from './stable-memory.js'
import { createSystemApi, type EntryPoint, type MessageState, type SystemApiHost } from './system-api.js'

interface Instantiation {
  instance: WebAssembly.Instance
  memory?: WebAssembly.Memory
  globals: { global: WebAssembly.Global; type: GlobalValueType }[]
}

interface SavedState {
  heapBytes: number
  globals: WasmGlobal[]
  certifiedData: Uint8Array
  globalTimer?: bigint
}

/** What a canister starts from: a fresh install, an upgrade, or a snapshot. */
export interface CanisterSeed {
  stable: StableMemory
  certifiedData: Uint8Array
  globalTimer?: bigint
}

let scratch = new Uint8Array(0)

export class LiveCanister implements WasmCanister {
  private live: Instantiation
  private message: MessageState | undefined
  private stable: StableMemory
  private certified: Uint8Array
  private globalTimer: bigint | undefined
  private retired = false
  private readonly systemApi: ReturnType<typeof createSystemApi>

  // Private constructor; use LiveCanister.instantiate().
  private constructor(
    private readonly compiled: CompiledModule,
    seed: CanisterSeed
  ) {
    this.stable = seed.stable
    this.certified = seed.certifiedData
    this.globalTimer = seed.globalTimer
    const host: SystemApiHost = {
      message: () => this.message,
      heap: () => (this.live.memory === undefined ? new Uint8Array(0) : new Uint8Array(this.live.memory.buffer)),
      stable: () => this.stable,
      setCertifiedData: (data) => {
        this.certified = data
      },
      swapGlobalTimer: (deadline) => {
        const previous = this.globalTimer ?? 0n
        this.globalTimer = deadline === 0n ? undefined : deadline
        return previous
      }
    }
    this.systemApi = createSystemApi(host)
    this.live = this.instantiateModule()
  }

  /** A new instance whose start function has not run (the prepared module has no start section). */
  static instantiate(compiled: CompiledModule, seed: CanisterSeed): LiveCanister {
    return new LiveCanister(compiled, seed)
  }

  get moduleHash(): Uint8Array {
    return this.compiled.hash.slice()
  }

  get updateMethods(): ReadonlySet<string> {
    return this.compiled.updateMethods
  }

  get queryMethods(): ReadonlySet<string> {
    return this.compiled.queryMethods
  }

  get wasmMemorySize(): number {
    return this.live.memory?.buffer.byteLength ?? 0
  }

  get stableMemorySize(): number {
    return this.stable.sizeInBytes
  }

  get certifiedData(): Uint8Array {
    return this.certified.slice()
  }

  /** `icp:public` / `icp:private` custom sections of the module, by name. */
  get metadata(): ReadonlyMap<string, Uint8Array> {
    return this.compiled.prepared.metadata
  }

  update(method: string, arg: Uint8Array, env: ExecutionEnv): ExecResult {
    this.ensureActive()
    if (this.compiled.updateMethods.has(method)) return this.runMessage('update', `canister_update ${method}`, arg, env, false)
    // As on the IC, a query method called as an update runs replicated and keeps no changes.
    if (this.compiled.queryMethods.has(method)) return this.runMessage('query', this.queryExport(method), arg, env, true)
    return { reject: toReject({ kind: 'method-not-found', methodKind: 'update', method }, env.canisterId) }
  }

  query(method: string, arg: Uint8Array, env: ExecutionEnv): ExecResult {
    this.ensureActive()
    if (!this.compiled.queryMethods.has(method)) {
      return { reject: toReject({ kind: 'method-not-found', methodKind: 'query', method }, env.canisterId) }
    }
    return this.runMessage('query', this.queryExport(method), arg, env, true)
  }

  capture(): ExecutionSnapshot {
    this.ensureActive()
    const memory = this.live.memory
    return {
      wasmModule: this.compiled.original.slice(),
      wasmMemory: memory === undefined ? new Uint8Array(0) : new Uint8Array(memory.buffer.slice(0)),
      stableMemory: this.stable.copy(),
      globals: this.readGlobals(),
      certifiedData: this.certified.slice(),
      globalTimer: this.globalTimer
    }
  }

  /**
   * Runs the start function and `canister_init` (install) or `canister_post_upgrade` (upgrade) on
   * this fresh canister. A trap throws `CanisterExecutionError`; the caller discards the canister.
   */
  initialize(entry: 'init' | 'post_upgrade', arg: Uint8Array, env: ExecutionEnv): void {
    const startExport = this.compiled.prepared.startExport
    if (startExport !== undefined) this.runSystemEntry('start', startExport, new Uint8Array(0), env)
    const exportName = entry === 'init' ? 'canister_init' : 'canister_post_upgrade'
    this.runSystemEntry(entry, exportName, arg, env)
  }

  /**
   * Runs `canister_pre_upgrade`, hands the stable memory to `next` (built by the caller), runs its
   * post-upgrade, and retires this canister. If anything traps, this canister is restored as it
   * was and `CanisterExecutionError` is thrown.
   */
  upgradeTo(build: (seed: CanisterSeed) => LiveCanister, arg: Uint8Array, env: ExecutionEnv): LiveCanister {
    this.ensureActive()
    const saved = this.save()
    try {
      this.runSystemEntry('pre_upgrade', 'canister_pre_upgrade', new Uint8Array(0), env)
      // The global timer is deactivated by an upgrade; certified data survives it.
      const next = build({ stable: this.stable, certifiedData: this.certified, globalTimer: undefined })
      next.initialize('post_upgrade', arg, env)
      this.stable.commit()
      this.retired = true
      return next
    } catch (error) {
      this.restore(saved)
      throw error
    }
  }

  /** Writes a snapshot's memories and globals into this fresh canister. */
  load(snapshot: ExecutionSnapshot): void {
    const memory = this.live.memory
    const size = snapshot.wasmMemory.length
    if (size % WASM_PAGE_SIZE !== 0) throw inconsistent(`the Wasm memory size ${size} is not a multiple of ${WASM_PAGE_SIZE} bytes`)
    if (memory === undefined) {
      if (size !== 0) throw inconsistent('the module has no memory but the snapshot has Wasm memory')
    } else {
      const current = memory.buffer.byteLength
      if (size < current) throw inconsistent(`the Wasm memory (${size} bytes) is smaller than the module's initial memory (${current} bytes)`)
      try {
        if (size > current) memory.grow((size - current) / WASM_PAGE_SIZE)
      } catch (error) {
        throw inconsistent(`the Wasm memory (${size} bytes) exceeds what the module allows: ${String(error)}`)
      }
      new Uint8Array(memory.buffer).set(snapshot.wasmMemory)
    }
    this.writeGlobals(snapshot.globals)
  }

  private queryExport(method: string): string {
    const exports = this.live.instance.exports
    return `canister_query ${method}` in exports ? `canister_query ${method}` : `canister_composite_query ${method}`
  }

  private runMessage(entry: 'update' | 'query', exportName: string, arg: Uint8Array, env: ExecutionEnv, discard: boolean): ExecResult {
    const saved = this.save()
    let message: MessageState
    try {
      message = this.invoke(entry, exportName, arg, env)
    } catch (error) {
      this.restore(saved)
      return { reject: toReject(failureOf(error), env.canisterId) }
    }
    if (discard) this.restore(saved)
    else this.stable.commit()
    const outcome = message.outcome
    if (outcome === undefined) return { reject: didNotReply(env.canisterId) }
    if ('reply' in outcome) return { reply: outcome.reply }
    return { reject: canisterReject(outcome.reject) }
  }

  /** Runs an optional system export; a trap becomes `CanisterExecutionError`. */
  private runSystemEntry(entry: EntryPoint, exportName: string, arg: Uint8Array, env: ExecutionEnv): void {
    if (!(exportName in this.live.instance.exports)) return
    try {
      this.invoke(entry, exportName, arg, env)
    } catch (error) {
      throw new CanisterExecutionError(toReject(failureOf(error), env.canisterId))
    }
  }

  private invoke(entry: EntryPoint, exportName: string, arg: Uint8Array, env: ExecutionEnv): MessageState {
    const fn = this.live.instance.exports[exportName]
    if (typeof fn !== 'function') throw new HypervisorTrap({ kind: 'contract-violation', description: `export '${exportName}' is not a function` })
    const message: MessageState = { entry, arg, env, replyChunks: [], replySize: 0 }
    this.message = message
    try {
      ;(fn as () => unknown)()
    } finally {
      this.message = undefined
    }
    return message
  }

  private save(): SavedState {
    const memory = this.live.memory
    let heapBytes = 0
    if (memory !== undefined) {
      heapBytes = memory.buffer.byteLength
      if (scratch.length < heapBytes) scratch = new Uint8Array(heapBytes)
      scratch.set(new Uint8Array(memory.buffer))
    }
    this.stable.begin()
    return { heapBytes, globals: this.readGlobals(), certifiedData: this.certified, globalTimer: this.globalTimer }
  }

  private restore(saved: SavedState): void {
    this.stable.rollback()
    this.certified = saved.certifiedData
    this.globalTimer = saved.globalTimer
    const memory = this.live.memory
    if (memory !== undefined && memory.buffer.byteLength !== saved.heapBytes) {
      this.live = this.instantiateModule()
      const fresh = this.live.memory
      if (fresh !== undefined) {
        const initial = fresh.buffer.byteLength
        if (saved.heapBytes > initial) fresh.grow((saved.heapBytes - initial) / WASM_PAGE_SIZE)
      }
    }
    if (this.live.memory !== undefined) new Uint8Array(this.live.memory.buffer).set(scratch.subarray(0, saved.heapBytes))
    this.writeGlobals(saved.globals)
  }

  private instantiateModule(): Instantiation {
    const { module, prepared } = this.compiled
    let instance: WebAssembly.Instance
    try {
      instance = new WebAssembly.Instance(module, { ic0: this.systemApi })
    } catch (error) {
      if (error instanceof WebAssembly.LinkError) {
        throw new InvalidModuleError(`Wasm module has an invalid import section: ${error.message}`)
      }
      throw error
    }
    const exports = instance.exports
    for (const [name, value] of Object.entries(exports)) {
      // The System calls these without arguments; the replica refuses such modules at install.
      if (name.startsWith('canister_') && typeof value === 'function' && value.length !== 0) {
        throw new InvalidModuleError(`Wasm module has an invalid function signature. Expected [] -> [] for '${name}', got ${value.length} parameters.`)
      }
    }
    const memoryExport = prepared.memoryExport === undefined ? undefined : exports[prepared.memoryExport]
    const globals = prepared.mutableGlobals.map(({ exportName, type }) => {
      const global = exports[exportName]
      if (!(global instanceof WebAssembly.Global)) throw new InvalidModuleError(`Wasm export '${exportName}' is not a global`)
      return { global, type }
    })
    return { instance, memory: memoryExport instanceof WebAssembly.Memory ? memoryExport : undefined, globals }
  }

  private readGlobals(): WasmGlobal[] {
    return this.live.globals.map(({ global, type }): WasmGlobal => {
      const value: unknown = global.value
      switch (type) {
        case 'i64':
          return { i64: BigInt.asIntN(64, value as bigint) }
        case 'i32':
          return { i32: value as number }
        case 'f32':
          return { f32: value as number }
        case 'f64':
          return { f64: value as number }
      }
    })
  }

  private writeGlobals(values: WasmGlobal[]): void {
    const slots = this.live.globals
    if (values.length !== slots.length) throw globalsMismatch(`the module has ${slots.length} exported mutable globals but the snapshot has ${values.length}`)
    slots.forEach(({ global, type }, index) => {
      const value = values[index]
      if (value === undefined || !(type in value)) throw globalsMismatch(`global ${index} of the module is ${type} but the snapshot's is ${Object.keys(value ?? {}).join()}`)
      global.value = (value as Record<GlobalValueType, number | bigint>)[type]
    })
  }

  private ensureActive(): void {
    if (this.retired) throw new Error('This canister instance was replaced by an upgrade; use the instance returned by WasmEngine.upgrade.')
  }
}

function failureOf(error: unknown): HypervisorFailure {
  if (error instanceof HypervisorTrap) return error.failure
  const trapCode = trapCodeOf(error)
  if (trapCode !== undefined) return { kind: 'trapped', trapCode }
  throw error
}

/** Wording after the replica's `CanisterSnapshotInconsistent` (IC0408) for uploaded snapshots. */
function inconsistent(detail: string): InvalidModuleError {
  return new InvalidModuleError(`Snapshot does not fit the canister module: ${detail}.`)
}

function globalsMismatch(detail: string): InvalidModuleError {
  return new InvalidModuleError(`Wasm exported globals of canister module and snapshot metadata do not match: ${detail}.`)
}
