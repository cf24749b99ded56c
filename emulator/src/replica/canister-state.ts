/**
 * What the replica keeps per canister, and the read-only view tests get of it.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { WasmCanister } from '../contracts.js'
import type { VisibilityValue } from './candid.js'
import type { Snapshot } from './snapshot.js'

export type CanisterStatus = 'running' | 'stopping' | 'stopped'

export interface CanisterSettings {
  controllers: Principal[]
  computeAllocation: bigint
  memoryAllocation: bigint
  freezingThreshold: bigint
  reservedCyclesLimit: bigint
  minimumIncomingCanisterCallCycles: bigint
  logVisibility: VisibilityValue
  snapshotVisibility: VisibilityValue
  statusVisibility: VisibilityValue
  wasmMemoryLimit: bigint
  wasmMemoryThreshold: bigint
  environmentVariables: Array<{ name: string; value: string }>
  logMemoryLimit: bigint
}

/** Defaults of a new canister on an application subnet (`rs/config`, ic.did docs). */
export function defaultSettings(controllers: Principal[]): CanisterSettings {
  return {
    controllers,
    computeAllocation: 0n,
    memoryAllocation: 0n,
    freezingThreshold: 2_592_000n,
    reservedCyclesLimit: 5_000_000_000_000n,
    minimumIncomingCanisterCallCycles: 0n,
    logVisibility: { controllers: null },
    snapshotVisibility: { controllers: null },
    statusVisibility: { controllers: null },
    wasmMemoryLimit: 3n * 1024n * 1024n * 1024n,
    wasmMemoryThreshold: 0n,
    environmentVariables: [],
    logMemoryLimit: 4096n
  }
}

export interface PendingStop {
  resolve: () => void
  reject: (error: unknown) => void
  timer: NodeJS.Timeout
}

export interface CanisterRecord {
  readonly id: Principal
  status: CanisterStatus
  settings: CanisterSettings
  cycles: bigint
  /** Incremented on every successful update, code or settings change, start/stop and load. */
  version: bigint
  /** Undefined for an empty canister. */
  code?: InstalledCode
  /** By snapshot id hex; insertion order = creation order. */
  snapshots: Map<string, Snapshot>
  nextSnapshotLocalId: bigint
  pendingStops: PendingStop[]
  /** Fault injection: stay in `stopping` until released or the stop times out. */
  holdStopping: boolean
  /** Fault injection: how many more take / load / upload-metadata calls fail with IC0210. */
  heapDeltaRateLimited: number
}

export interface InstalledCode {
  canister: WasmCanister
  wasmModule: Uint8Array
  moduleHash: Uint8Array
  /** `icp:public` / `icp:private` custom sections, by name. */
  metadata: Map<string, Uint8Array>
}

export interface SnapshotView {
  /** Lowercase hex, as dfx and icp-cli print it. */
  id: string
  /** Nanoseconds since the epoch. */
  takenAt: bigint
  totalSize: bigint
}

/** Read-only copy of a canister's state, for tests and the emulator's control API. */
export interface CanisterView {
  id: Principal
  status: CanisterStatus
  controllers: Principal[]
  cycles: bigint
  moduleHash?: Uint8Array
  version: bigint
  snapshots: SnapshotView[]
  wasmMemorySize: number
  stableMemorySize: number
}

export function isAllowedBy(visibility: VisibilityValue, settings: CanisterSettings, caller: Principal): boolean {
  if (isController(settings, caller)) return true
  if ('public' in visibility) return true
  if ('allowed_viewers' in visibility) return visibility.allowed_viewers.some((p) => p.compareTo(caller) === 'eq')
  return false
}

export function isController(settings: CanisterSettings, caller: Principal): boolean {
  return settings.controllers.some((p) => p.compareTo(caller) === 'eq')
}

/** Bytes the canister occupies: code, memories and snapshots. */
export function memoryUsage(canister: CanisterRecord): bigint {
  const code = canister.code
  const codeBytes = code
    ? BigInt(code.wasmModule.length + code.canister.wasmMemorySize + code.canister.stableMemorySize)
    : 0n
  return codeBytes + snapshotsSize(canister)
}

export function snapshotsSize(canister: CanisterRecord): bigint {
  let total = 0n
  for (const s of canister.snapshots.values()) total += s.totalSize
  return total
}
