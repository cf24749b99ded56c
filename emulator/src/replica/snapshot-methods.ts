/**
 * The eight canister-snapshot methods of the management canister.
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-take_canister_snapshot
 * Semantics: the IC interface specification's "IC method `take_canister_snapshot`" through
 * "IC method `delete_canister_snapshot`" sections, and `dfinity/ic`
 * `rs/execution_environment/src/canister_manager.rs`; errors as in ./errors.ts.
 */
import type { Principal } from '@icp-sdk/core/principal'
import { createHash } from 'node:crypto'
import { InvalidModuleError } from '../contracts.js'
import type { ExecutionSnapshot, Reject, WasmCanister } from '../contracts.js'
import type { SnapshotInfoValue } from './candid.js'
import { decodeArg, encodeReply } from './candid.js'
import type { CanisterRecord } from './canister-state.js'
import { isAllowedBy, isController } from './canister-state.js'
import { chargeSnapshotOperation } from './charging.js'
import type { ManagementHandler, ReplicaContext } from './context.js'
import { SNAPSHOT_BASELINE_INSTRUCTIONS, SNAPSHOT_DATA_BASELINE_INSTRUCTIONS } from './cycles.js'
import { Errors, RejectError, fail } from './errors.js'
import { makeSnapshotId, parseSnapshotId, snapshotLabel, toHex } from './ids.js'
import { installedCode } from './installed-code.js'
import { engineFailure, uninstall } from './lifecycle-methods.js'
import type { Snapshot, SnapshotSource, WasmChunk } from './snapshot.js'
import { snapshotSize } from './snapshot.js'

/** `max_number_of_snapshots_per_canister` (rs/config/src/execution_environment.rs). */
export const MAX_SNAPSHOTS_PER_CANISTER = 10
/** `MAX_SLICE_SIZE_BYTES`: "Maximum binary slice size allowed per single message download". */
export const MAX_SLICE_SIZE_BYTES = 2_000_000
/** Wasm32 heap limit; also what a Node `Uint8Array` can safely hold here. */
const MAX_UPLOADED_MEMORY_BYTES = 4n * 1024n * 1024n * 1024n
/** Memory sizes are whole 64 KiB Wasm pages. */
const WASM_PAGE_BYTES = 65_536n
/** The IC's limit on a canister's Wasm module. */
const MAX_WASM_MODULE_BYTES = 100n * 1024n * 1024n

export const takeCanisterSnapshot: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('take_canister_snapshot', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  checkHeapDeltaRateLimit(canister)
  const replaced = args.replace_snapshot[0] ? findOwnSnapshot(ctx, canister, args.replace_snapshot[0]) : undefined
  if (!replaced) checkSnapshotLimit(canister)
  const code = canister.code
  if (!code) fail(Errors.snapshotOfEmptyCanister(canister.id))
  // Charge before capturing, so a refused snapshot of a large canister copies nothing.
  const size = BigInt(
    code.wasmModule.length + code.canister.wasmMemorySize + code.canister.stableMemorySize + code.canister.certifiedData.length
  )
  chargeSnapshotOperation(canister, SNAPSHOT_BASELINE_INSTRUCTIONS + size, size)
  const snapshot = addSnapshot(ctx, canister, 'taken_from_canister', code.canister.capture(), [])
  if (replaced) canister.snapshots.delete(toHex(replaced.id.bytes))
  if (args.uninstall_code[0] === true) uninstall(canister)
  return encodeReply('take_canister_snapshot', snapshotInfo(snapshot))
}

/**
 * Loads a snapshot of the target itself or, since spec 0.50.0, of another canister on the same
 * subnet whose controllers include the caller. The replica's order
 * (`CanisterManager::load_canister_snapshot`, rs/execution_environment/src/canister_manager.rs):
 * controller of the target (IC0512), heap-delta rate limit (IC0210), snapshot present in this
 * subnet's state (IC0305, naming the target; a snapshot of another subnet's canister, or of a
 * canister that no longer exists, is simply not there), then controller of the owner (IC0406
 * `CanisterSnapshotNotController`). `CanisterSnapshotNotLoadable` (memories not yet at a
 * checkpoint) is not modelled: the emulator has no checkpoints.
 */
export const loadCanisterSnapshot: ManagementHandler = async (ctx, { sender, arg }) => {
  const args = decodeArg('load_canister_snapshot', arg)
  const target = ctx.requireCanister(args.canister_id)
  ctx.requireController(target, sender)
  checkHeapDeltaRateLimit(target)
  const id = parseSnapshotId(args.snapshot_id)
  const { owner, snapshot } = findOnSubnet(ctx, target, id.canisterId, id.bytes)
  if (!owner || !snapshot) fail(Errors.snapshotNotFound(target.id, snapshotLabel(id)))
  if (owner !== target && !isController(owner.settings, sender)) {
    fail(Errors.snapshotNotController(target.id, snapshotLabel(id), sender))
  }
  chargeSnapshotOperation(target, SNAPSHOT_BASELINE_INSTRUCTIONS + snapshot.totalSize, 0n)
  let restored: WasmCanister
  try {
    restored = await ctx.engine.restore(snapshot.state)
  } catch (error: unknown) {
    throw new RejectError(restoreFailure(target, error))
  }
  ctx.requireCanister(target.id)
  // Uploaded snapshots can still receive data; the installed module must not change with them.
  const wasmModule = snapshot.source === 'metadata_upload' ? snapshot.state.wasmModule.slice() : snapshot.state.wasmModule
  target.code = installedCode(restored, wasmModule)
  target.version++
  return encodeReply('load_canister_snapshot')
}

export const listCanisterSnapshots: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('list_canister_snapshots', arg)
  const canister = ctx.requireCanister(args.canister_id)
  requireSnapshotViewer(canister, sender)
  return encodeReply('list_canister_snapshots', [...canister.snapshots.values()].map(snapshotInfo))
}

export const deleteCanisterSnapshot: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('delete_canister_snapshot', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  const snapshot = findOwnSnapshot(ctx, canister, args.snapshot_id)
  canister.snapshots.delete(toHex(snapshot.id.bytes))
  return encodeReply('delete_canister_snapshot')
}

export const readCanisterSnapshotMetadata: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('read_canister_snapshot_metadata', arg)
  const canister = ctx.requireCanister(args.canister_id)
  requireSnapshotViewer(canister, sender)
  const snapshot = findOwnSnapshot(ctx, canister, args.snapshot_id)
  const { state } = snapshot
  return encodeReply('read_canister_snapshot_metadata', {
    source: { [snapshot.source]: null } as { taken_from_canister: null } | { metadata_upload: null },
    taken_at_timestamp: snapshot.takenAt,
    wasm_module_size: BigInt(state.wasmModule.length),
    globals: state.globals,
    wasm_memory_size: BigInt(state.wasmMemory.length),
    stable_memory_size: BigInt(state.stableMemory.length),
    wasm_chunk_store: snapshot.chunkStore.map((c) => ({ hash: c.hash })),
    canister_version: snapshot.canisterVersion,
    certified_data: state.certifiedData,
    global_timer: [state.globalTimer === undefined ? { inactive: null } : { active: state.globalTimer }],
    on_low_wasm_memory_hook_status: snapshot.onLowWasmMemoryHookStatus
      ? [snapshot.onLowWasmMemoryHookStatus]
      : [{ condition_not_satisfied: null }]
  })
}

export const readCanisterSnapshotData: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('read_canister_snapshot_data', arg)
  const canister = ctx.requireCanister(args.canister_id)
  requireSnapshotViewer(canister, sender)
  const snapshot = findOwnSnapshot(ctx, canister, args.snapshot_id)
  let chunk: Uint8Array
  if ('wasm_chunk' in args.kind) {
    const wanted = toHex(args.kind.wasm_chunk.hash)
    const found = snapshot.chunkStore.find((c) => toHex(c.hash) === wanted)
    if (!found) fail(Errors.wasmChunkNotFound(args.kind.wasm_chunk.hash))
    chunk = found.data
  } else {
    const [source, { offset, size }] = blobOf(snapshot.state, args.kind)
    if (size > BigInt(MAX_SLICE_SIZE_BYTES)) fail(Errors.sliceTooLarge(size, MAX_SLICE_SIZE_BYTES))
    if (offset + size > BigInt(source.length)) fail(Errors.invalidSlice(offset, size))
    chunk = source.subarray(Number(offset), Number(offset + size))
  }
  // Downloads are charged to the canister, not the caller (dfinity/ic rs/execution_environment/src/canister_manager.rs).
  chargeSnapshotOperation(canister, SNAPSHOT_DATA_BASELINE_INSTRUCTIONS + BigInt(chunk.length), 0n)
  return encodeReply('read_canister_snapshot_data', { chunk })
}

export const uploadCanisterSnapshotMetadata: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('upload_canister_snapshot_metadata', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  checkHeapDeltaRateLimit(canister)
  const replaced = args.replace_snapshot[0] ? findOwnSnapshot(ctx, canister, args.replace_snapshot[0]) : undefined
  if (!replaced) checkSnapshotLimit(canister)
  validateUploadSize('wasm_module_size', args.wasm_module_size, MAX_WASM_MODULE_BYTES, 1n)
  validateUploadSize('wasm_memory_size', args.wasm_memory_size, MAX_UPLOADED_MEMORY_BYTES, WASM_PAGE_BYTES)
  validateUploadSize('stable_memory_size', args.stable_memory_size, MAX_UPLOADED_MEMORY_BYTES, WASM_PAGE_BYTES)
  const size = args.wasm_module_size + args.wasm_memory_size + args.stable_memory_size + BigInt(args.certified_data.length)
  chargeSnapshotOperation(canister, SNAPSHOT_BASELINE_INSTRUCTIONS + size, size)
  const timer = args.global_timer[0]
  // Zero-filled buffers of the announced sizes; the OS commits pages only as data arrives.
  const state: ExecutionSnapshot = {
    wasmModule: new Uint8Array(Number(args.wasm_module_size)),
    wasmMemory: new Uint8Array(Number(args.wasm_memory_size)),
    stableMemory: new Uint8Array(Number(args.stable_memory_size)),
    globals: args.globals,
    certifiedData: args.certified_data.slice(),
    globalTimer: timer && 'active' in timer ? timer.active : undefined
  }
  const snapshot = addSnapshot(ctx, canister, 'metadata_upload', state, [])
  snapshot.onLowWasmMemoryHookStatus = args.on_low_wasm_memory_hook_status[0]
  if (replaced) canister.snapshots.delete(toHex(replaced.id.bytes))
  return encodeReply('upload_canister_snapshot_metadata', { snapshot_id: snapshot.id.bytes })
}

export const uploadCanisterSnapshotData: ManagementHandler = (ctx, { sender, arg }) => {
  const args = decodeArg('upload_canister_snapshot_data', arg)
  const canister = ctx.requireCanister(args.canister_id)
  ctx.requireController(canister, sender)
  const snapshot = findOwnSnapshot(ctx, canister, args.snapshot_id)
  if (snapshot.source !== 'metadata_upload') fail(Errors.snapshotImmutable())
  chargeSnapshotOperation(canister, BigInt(args.chunk.length), 0n)
  if ('wasm_chunk' in args.kind) {
    snapshot.chunkStore.push({ hash: new Uint8Array(createHash('sha256').update(args.chunk).digest()), data: args.chunk.slice() })
  } else {
    const [target, { offset }] = blobOf(snapshot.state, args.kind)
    const size = BigInt(args.chunk.length)
    if (offset + size > BigInt(target.length)) fail(Errors.invalidSlice(offset, size))
    target.set(args.chunk, Number(offset))
  }
  return encodeReply('upload_canister_snapshot_data')
}

/**
 * A snapshot that does not fit its module (memory sizes, globals) is the replica's
 * `CanisterSnapshotInconsistent` (IC0408); any other failure is reported as for install.
 */
function restoreFailure(target: CanisterRecord, error: unknown): Reject {
  const inconsistent = /^(Wasm exported globals of canister module and snapshot metadata do not match|Snapshot does not fit)/
  if (error instanceof InvalidModuleError && inconsistent.test(error.message)) {
    return Errors.snapshotInconsistent(error.message)
  }
  return engineFailure(target, error)
}

function addSnapshot(
  ctx: ReplicaContext,
  canister: CanisterRecord,
  source: SnapshotSource,
  state: ExecutionSnapshot,
  chunkStore: WasmChunk[]
): Snapshot {
  const id = makeSnapshotId(canister.id, canister.nextSnapshotLocalId++)
  const snapshot: Snapshot = {
    id,
    source,
    takenAt: ctx.clock.nowNs(),
    canisterVersion: canister.version,
    state,
    chunkStore,
    totalSize: snapshotSize(state, chunkStore)
  }
  canister.snapshots.set(toHex(id.bytes), snapshot)
  return snapshot
}

/** Heap-delta rate limiting (IC0210) is only ever injected: the emulator does not meter heap deltas. */
function checkHeapDeltaRateLimit(canister: CanisterRecord): void {
  if (canister.heapDeltaRateLimited <= 0) return
  canister.heapDeltaRateLimited--
  fail(Errors.heapDeltaRateLimited(canister.id))
}

/**
 * The snapshot as the subnet hosting `canister` sees it: its owner and the snapshot, or neither when
 * the owner does not exist, has no such snapshot, or lives on another subnet.
 */
function findOnSubnet(
  ctx: ReplicaContext,
  canister: CanisterRecord,
  ownerId: Principal,
  idBytes: Uint8Array
): { owner?: CanisterRecord; snapshot?: Snapshot } {
  const owner = ctx.canister(ownerId)
  if (!owner || !ctx.sameSubnet(canister.id, owner.id)) return {}
  return { owner, snapshot: owner.snapshots.get(toHex(idBytes)) }
}

/** A snapshot of `canister` by id: IC0305 if this subnet does not hold it, IC0406 if another canister owns it. */
function findOwnSnapshot(ctx: ReplicaContext, canister: CanisterRecord, idBytes: Uint8Array): Snapshot {
  const id = parseSnapshotId(idBytes)
  const { owner, snapshot } = findOnSubnet(ctx, canister, id.canisterId, id.bytes)
  if (!snapshot) fail(Errors.snapshotNotFound(canister.id, snapshotLabel(id)))
  if (owner !== canister) fail(Errors.snapshotInvalidOwnership(canister.id, snapshotLabel(id)))
  return snapshot
}

function checkSnapshotLimit(canister: CanisterRecord): void {
  if (canister.snapshots.size >= MAX_SNAPSHOTS_PER_CANISTER) {
    fail(Errors.snapshotLimitExceeded(canister.id, MAX_SNAPSHOTS_PER_CANISTER))
  }
}

/**
 * `list_canister_snapshots`, `read_canister_snapshot_metadata` and `read_canister_snapshot_data`
 * follow `snapshot_visibility` (spec, canister settings): `controllers` (default), `public`, or
 * `allowed_viewers` plus the controllers. Every other snapshot method, and stop/start, stays
 * controller-only. A refused reader gets the replica's controller rejection (IC0512), which is
 * what these three methods answered before the setting existed (`validate_controller`).
 */
function requireSnapshotViewer(canister: CanisterRecord, sender: Principal): void {
  if (!isAllowedBy(canister.settings.snapshotVisibility, canister.settings, sender)) {
    fail(Errors.invalidController(canister.id, canister.settings.controllers, sender))
  }
}

function validateUploadSize(field: string, value: bigint, max: bigint, unit: bigint): void {
  if (value > max) fail(Errors.invalidSnapshotMetadata(`${field} ${value} exceeds the maximum of ${max} bytes`))
  if (value % unit !== 0n) fail(Errors.invalidSnapshotMetadata(`${field} ${value} is not a multiple of ${unit} bytes`))
}

type BlobKind<T> = { wasm_module: T } | { wasm_memory: T } | { stable_memory: T }

function blobOf<T>(state: ExecutionSnapshot, kind: BlobKind<T>): [Uint8Array, T] {
  if ('wasm_module' in kind) return [state.wasmModule, kind.wasm_module]
  if ('wasm_memory' in kind) return [state.wasmMemory, kind.wasm_memory]
  return [state.stableMemory, kind.stable_memory]
}

function snapshotInfo(s: Snapshot): SnapshotInfoValue {
  return { id: s.id.bytes, taken_at_timestamp: s.takenAt, total_size: s.totalSize }
}
