/**
 * Management methods for a canister's life: creation, code, settings, status, stop/start, deletion.
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-management-canister
 */
import { InvalidModuleError } from '../contracts.js'
import type { Reject, WasmCanister } from '../contracts.js'
import type { CanisterSettingsValue, DefiniteSettingsValue } from './candid.js'
import { decodeArg, encodeReply } from './candid.js'
import type { CanisterRecord, CanisterSettings, PendingStop } from './canister-state.js'
import { isAllowedBy, memoryUsage, snapshotsSize } from './canister-state.js'
import type { ManagementHandler } from './context.js'
import { DEFAULT_PROVISIONAL_CYCLES, idleCyclesBurnedPerDay } from './cycles.js'
import { Errors, RejectError, fail } from './errors.js'
import { installedCode } from './installed-code.js'

const MAX_CONTROLLERS = 10

export const provisionalCreateCanisterWithCycles: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('provisional_create_canister_with_cycles', arg)
  const settings = args.settings[0]
  const controllers = settings?.controllers[0] ?? [sender]
  validateControllers(controllers)
  const canister = ctx.createCanister({
    controllers,
    cycles: args.amount[0] ?? DEFAULT_PROVISIONAL_CYCLES,
    specifiedId: args.specified_id[0]
  })
  if (settings) applySettings(canister.settings, settings)
  return encodeReply('provisional_create_canister_with_cycles', { canister_id: canister.id })
}

export const provisionalTopUpCanister: ManagementHandler = (ctx, { arg }) => {
  const args = decodeArg('provisional_top_up_canister', arg)
  ctx.requireCanister(args.canister_id).cycles += args.amount
  return encodeReply('provisional_top_up_canister')
}

export const installCode: ManagementHandler = async (ctx, { sender, arg }) => {
  const args = decodeArg('install_code', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  const env = ctx.executionEnv(canister, sender)
  let next: WasmCanister
  try {
    if ('install' in args.mode || 'reinstall' in args.mode) {
      if ('install' in args.mode && canister.code) fail(Errors.canisterNonEmpty(canister.id))
      next = await ctx.engine.install(args.wasm_module, args.arg, env)
    } else {
      if (!canister.code) fail(Errors.wasmModuleNotFound(canister.id))
      next = await ctx.engine.upgrade(canister.code.canister, args.wasm_module, args.arg, env)
    }
  } catch (error: unknown) {
    throw new RejectError(engineFailure(canister, error))
  }
  // The engine may have awaited; the canister may have been deleted meanwhile.
  ctx.requireCanister(args.canister_id)
  canister.code = installedCode(next, args.wasm_module)
  canister.version++
  return encodeReply('install_code')
}

export const uninstallCode: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('uninstall_code', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  uninstall(canister)
  return encodeReply('uninstall_code')
}

/** Empties the canister; snapshots stay (interface-spec#259). */
export function uninstall(canister: CanisterRecord): void {
  canister.code = undefined
  canister.version++
}

export const updateSettings: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('update_settings', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  const controllers = args.settings.controllers[0]
  if (controllers) validateControllers(controllers)
  applySettings(canister.settings, args.settings)
  canister.version++
  return encodeReply('update_settings')
}

export const canisterStatus: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('canister_status', arg)
  const canister = ctx.requireCanister(args.canister_id)
  if (!isAllowedBy(canister.settings.statusVisibility, canister.settings, sender)) {
    fail(Errors.invalidController(canister.id, canister.settings.controllers, sender))
  }
  const code = canister.code
  const memorySize = memoryUsage(canister)
  return encodeReply('canister_status', {
    status: { [canister.status]: null } as { running: null } | { stopping: null } | { stopped: null },
    ready_for_migration: false,
    version: canister.version,
    settings: definiteSettings(canister.settings),
    module_hash: code ? [code.moduleHash] : [],
    memory_size: memorySize,
    memory_metrics: {
      wasm_memory_size: BigInt(code?.canister.wasmMemorySize ?? 0),
      stable_memory_size: BigInt(code?.canister.stableMemorySize ?? 0),
      global_memory_size: 0n,
      wasm_binary_size: BigInt(code?.wasmModule.length ?? 0),
      custom_sections_size: 0n,
      canister_history_size: 0n,
      wasm_chunk_store_size: 0n,
      snapshots_size: snapshotsSize(canister),
      log_memory_store_size: 0n
    },
    cycles: canister.cycles,
    reserved_cycles: 0n,
    idle_cycles_burned_per_day: idleCyclesBurnedPerDay(memorySize),
    query_stats: {
      num_calls_total: 0n,
      num_instructions_total: 0n,
      request_payload_bytes_total: 0n,
      response_payload_bytes_total: 0n
    }
  })
}

/**
 * running → stopping → stopped. With no open call contexts a canister stops at once; the
 * `holdStopping` fault keeps it stopping so the IC's timeout (IC0206) can be observed.
 */
export const stopCanister: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('stop_canister', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  const reply = encodeReply('stop_canister')
  if (canister.status === 'stopped') return reply
  if (canister.status === 'running') {
    canister.status = 'stopping'
    canister.version++
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    const pending: PendingStop = {
      resolve: () => resolve(reply),
      reject,
      timer: setTimeout(() => {
        canister.pendingStops = canister.pendingStops.filter((p) => p !== pending)
        reject(new RejectError(Errors.stopTimeout()))
      }, ctx.stopTimeoutMs)
    }
    // A pending stop must not keep the process alive on its own.
    pending.timer.unref()
    canister.pendingStops.push(pending)
    finishStopIfReady(canister)
  })
}

/** Completes a stop when nothing holds the canister in `stopping`. */
export function finishStopIfReady(canister: CanisterRecord): void {
  if (canister.status !== 'stopping' || canister.holdStopping) return
  canister.status = 'stopped'
  canister.version++
  settlePendingStops(canister, (p) => p.resolve())
}

export function settlePendingStops(canister: CanisterRecord, settle: (p: PendingStop) => void): void {
  const pending = canister.pendingStops
  canister.pendingStops = []
  for (const p of pending) {
    clearTimeout(p.timer)
    settle(p)
  }
}

export const startCanister: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('start_canister', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  settlePendingStops(canister, (p) => p.reject(new RejectError(Errors.stopCancelled(canister.id))))
  canister.status = 'running'
  canister.version++
  return encodeReply('start_canister')
}

export const deleteCanister: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('delete_canister', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  if (canister.status !== 'stopped') fail(Errors.deleteNotStopped(canister.id))
  ctx.deleteCanister(canister)
  return encodeReply('delete_canister')
}

function validateControllers(controllers: unknown[]): void {
  if (controllers.length > MAX_CONTROLLERS) {
    fail(
      Errors.invalidSettings(
        `Invalid settings: 'controllers' length exceeds maximum size allowed of ${MAX_CONTROLLERS}.`
      )
    )
  }
}

/** Stores every given setting; only `controllers` changes behaviour in the emulator. */
function applySettings(target: CanisterSettings, s: CanisterSettingsValue): void {
  if (s.controllers[0]) target.controllers = [...s.controllers[0]]
  if (s.compute_allocation[0] !== undefined) target.computeAllocation = s.compute_allocation[0]
  if (s.memory_allocation[0] !== undefined) target.memoryAllocation = s.memory_allocation[0]
  if (s.freezing_threshold[0] !== undefined) target.freezingThreshold = s.freezing_threshold[0]
  if (s.reserved_cycles_limit[0] !== undefined) target.reservedCyclesLimit = s.reserved_cycles_limit[0]
  if (s.minimum_incoming_canister_call_cycles[0] !== undefined) {
    target.minimumIncomingCanisterCallCycles = s.minimum_incoming_canister_call_cycles[0]
  }
  if (s.log_visibility[0]) target.logVisibility = s.log_visibility[0]
  if (s.snapshot_visibility[0]) target.snapshotVisibility = s.snapshot_visibility[0]
  if (s.status_visibility[0]) target.statusVisibility = s.status_visibility[0]
  if (s.wasm_memory_limit[0] !== undefined) target.wasmMemoryLimit = s.wasm_memory_limit[0]
  if (s.wasm_memory_threshold[0] !== undefined) target.wasmMemoryThreshold = s.wasm_memory_threshold[0]
  if (s.environment_variables[0]) target.environmentVariables = [...s.environment_variables[0]]
  if (s.log_memory_limit[0] !== undefined) target.logMemoryLimit = s.log_memory_limit[0]
}

function definiteSettings(s: CanisterSettings): DefiniteSettingsValue {
  return {
    controllers: s.controllers,
    compute_allocation: s.computeAllocation,
    memory_allocation: s.memoryAllocation,
    freezing_threshold: s.freezingThreshold,
    reserved_cycles_limit: s.reservedCyclesLimit,
    minimum_incoming_canister_call_cycles: s.minimumIncomingCanisterCallCycles,
    log_visibility: s.logVisibility,
    snapshot_visibility: s.snapshotVisibility,
    status_visibility: s.statusVisibility,
    wasm_memory_limit: s.wasmMemoryLimit,
    wasm_memory_threshold: s.wasmMemoryThreshold,
    environment_variables: s.environmentVariables,
    log_memory_limit: s.logMemoryLimit
  }
}

/** Maps an engine failure during install/upgrade/restore to the replica's reject. */
export function engineFailure(canister: CanisterRecord, error: unknown): Reject {
  if (error instanceof RejectError) return error.reject
  if (error instanceof InvalidModuleError) return Errors.invalidWasm(canister.id, error.message)
  if (hasReject(error)) return error.reject
  return Errors.trapped(canister.id, error instanceof Error ? error.message : String(error))
}

/** An engine error that already carries the IC's reject (e.g. a trap in `canister_init`). */
function hasReject(error: unknown): error is { reject: Reject } {
  if (typeof error !== 'object' || error === null || !('reject' in error)) return false
  const r: unknown = error.reject
  return typeof r === 'object' && r !== null && 'code' in r && 'message' in r && 'errorCode' in r
}
