/**
 * The management canister (`aaaaa-aa`): method table, ingress filter and execution.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { ExecResult, Reject } from '../contracts.js'
import type { ManagementMethod } from './candid.js'
import { decodeArg, isManagementMethod } from './candid.js'
import { isAllowedBy, isController } from './canister-state.js'
import type { ManagementHandler, ReplicaContext } from './context.js'
import { Errors, RejectError } from './errors.js'
import { reshapeReply } from './reply-shapes.js'
import {
  canisterStatus,
  deleteCanister,
  installCode,
  provisionalCreateCanisterWithCycles,
  provisionalTopUpCanister,
  startCanister,
  stopCanister,
  uninstallCode,
  updateSettings
} from './lifecycle-methods.js'
import {
  deleteCanisterSnapshot,
  listCanisterSnapshots,
  loadCanisterSnapshot,
  readCanisterSnapshotData,
  readCanisterSnapshotMetadata,
  takeCanisterSnapshot,
  uploadCanisterSnapshotData,
  uploadCanisterSnapshotMetadata
} from './snapshot-methods.js'

/** Who may send a method as ingress (the replica's `CanisterManager::should_accept_ingress_message`). */
type Access = 'anyone' | 'controllers' | 'status-viewers' | 'snapshot-viewers'

const METHODS: Record<ManagementMethod, { handler: ManagementHandler; access: Access }> = {
  // Any caller may create canisters and top them up on a local network, as on a local replica.
  provisional_create_canister_with_cycles: { handler: provisionalCreateCanisterWithCycles, access: 'anyone' },
  provisional_top_up_canister: { handler: provisionalTopUpCanister, access: 'anyone' },
  install_code: { handler: installCode, access: 'controllers' },
  uninstall_code: { handler: uninstallCode, access: 'controllers' },
  update_settings: { handler: updateSettings, access: 'controllers' },
  canister_status: { handler: canisterStatus, access: 'status-viewers' },
  stop_canister: { handler: stopCanister, access: 'controllers' },
  start_canister: { handler: startCanister, access: 'controllers' },
  delete_canister: { handler: deleteCanister, access: 'controllers' },
  take_canister_snapshot: { handler: takeCanisterSnapshot, access: 'controllers' },
  load_canister_snapshot: { handler: loadCanisterSnapshot, access: 'controllers' },
  list_canister_snapshots: { handler: listCanisterSnapshots, access: 'snapshot-viewers' },
  delete_canister_snapshot: { handler: deleteCanisterSnapshot, access: 'controllers' },
  read_canister_snapshot_metadata: { handler: readCanisterSnapshotMetadata, access: 'snapshot-viewers' },
  read_canister_snapshot_data: { handler: readCanisterSnapshotData, access: 'snapshot-viewers' },
  upload_canister_snapshot_metadata: { handler: uploadCanisterSnapshotMetadata, access: 'controllers' },
  upload_canister_snapshot_data: { handler: uploadCanisterSnapshotData, access: 'controllers' }
}

export interface ManagementMessage {
  sender: Principal
  methodName: string
  arg: Uint8Array
}

/**
 * The ingress filter for `aaaaa-aa`: a reject here means the call is never executed. It runs on
 * the subnet the call was routed to (dfinity/ic
 * rs/execution_environment/src/canister_manager.rs `should_accept_ingress_message`): a canister
 * that is not on that subnet is not found there (IC0301), even though it exists elsewhere. `ctx`
 * is that subnet's view, which holds only its own canisters.
 */
export function inspectManagementIngress(ctx: ReplicaContext, msg: ManagementMessage): Reject | null {
  if (!isManagementMethod(msg.methodName)) return Errors.unknownManagementMethod(msg.methodName)
  const { access } = METHODS[msg.methodName]
  if (access === 'anyone') return null
  let canisterId: Principal
  try {
    // Every method not open to anyone takes a record with `canister_id`.
    canisterId = (decodeArg(msg.methodName, msg.arg) as { canister_id: Principal }).canister_id
  } catch (error: unknown) {
    if (error instanceof RejectError) return error.reject
    throw error
  }
  const canister = ctx.canister(canisterId)
  if (!canister) return Errors.canisterNotFound(canisterId)
  const { settings } = canister
  const allowed =
    access === 'controllers'
      ? isController(settings, msg.sender)
      : isAllowedBy(access === 'status-viewers' ? settings.statusVisibility : settings.snapshotVisibility, settings, msg.sender)
  return allowed ? null : Errors.invalidController(canister.id, settings.controllers, msg.sender)
}

export async function executeManagementUpdate(ctx: ReplicaContext, msg: ManagementMessage): Promise<ExecResult> {
  if (!isManagementMethod(msg.methodName)) return { reject: Errors.unknownManagementMethod(msg.methodName) }
  try {
    const reply = await METHODS[msg.methodName].handler(ctx, { sender: msg.sender, arg: msg.arg })
    return { reply: reshapeReply(ctx.replyShape, msg.methodName, reply) }
  } catch (error: unknown) {
    return { reject: toReject(error) }
  }
}

/** Only `canister_status` is a query on the management canister (spec 0.51.0). */
export function executeManagementQuery(ctx: ReplicaContext, msg: ManagementMessage): ExecResult {
  if (msg.methodName !== 'canister_status') return { reject: Errors.notAQueryMethod(msg.methodName) }
  try {
    const reply = canisterStatus(ctx, { sender: msg.sender, arg: msg.arg })
    if (reply instanceof Uint8Array) return { reply: reshapeReply(ctx.replyShape, msg.methodName, reply) }
    throw new Error('canister_status must answer synchronously')
  } catch (error: unknown) {
    return { reject: toReject(error) }
  }
}

/** Rejects pass through; anything else is an emulator bug and must surface as such. */
function toReject(error: unknown): Reject {
  if (error instanceof RejectError) return error.reject
  throw error
}
