/**
 * The replica's rejections, with the IC's error codes and wording.
 *
 * Wording follows `dfinity/ic` `rs/execution_environment/src/canister_manager/types.rs`
 * (`CanisterManagerError` → `UserError`), `rs/interfaces/src/execution_environment/errors.rs`
 * (`HypervisorError::into_user_error`) and `rs/types/wasm_types/src/errors.rs` (`ErrorHelp`); the
 * codes are `rs/types/error_types/src/lib.rs` (`ErrorCode`) and the reject codes those of the IC
 * interface specification (https://internetcomputer.org/docs/references/ic-interface-spec, "Reject
 * codes"). Clients (icp-cli, our action) match on the codes and sometimes on the text, so keep
 * both exact.
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { Reject, RejectCode } from '../contracts.js'

const DOCS = 'http://internetcomputer.org/docs/current/references/execution-errors#'

/** `ErrorHelp::UserError` as displayed after a description: `\n{suggestion} See documentation: {link}`. */
function help(suggestion: string, docLink: string): string {
  return `\n${suggestion} See documentation: ${docLink}`
}

function reject(errorCode: number, message: string): Reject {
  const code = Math.floor(errorCode / 100) as RejectCode
  return { code, errorCode: `IC${String(errorCode).padStart(4, '0')}`, message }
}

/** Thrown inside the management canister and turned into a reject at its boundary. */
export class RejectError extends Error {
  override name = 'RejectError'
  constructor(readonly reject: Reject) {
    super(`${reject.errorCode}: ${reject.message}`)
  }
}

export function fail(r: Reject): never {
  throw new RejectError(r)
}

/** Snapshot ids print as `<canister>-<local id>` in replica messages (Rust `Display` of `SnapshotId`). */
export type SnapshotLabel = string

export const Errors = {
  canisterNotFound: (id: Principal) =>
    reject(
      301,
      `Canister ${id.toText()} not found.` +
        help('Check the ICP dashboard to ensure the canister exists.', `${DOCS}canister-not-found`)
    ),

  canisterIdAlreadyExists: (id: Principal) =>
    reject(
      205,
      `Unsuccessful canister creation: canister id ${id.toText()} already exists.\n` +
        'This is an internal error on the IC. Please report it to IC devs on the forum: https://forum.dfinity.org'
    ),

  invalidController: (id: Principal, controllers: Principal[], sender: Principal) =>
    reject(
      512,
      `Only the controllers of the canister ${id.toText()} can control it.\n` +
        `Canister's controllers: ${sortedTexts(controllers).join(' ')}\n` +
        `Sender's ID: ${sender.toText()}` +
        help(
          'Execute this call from a controller of the target canister or add the current caller as a controller.',
          `${DOCS}invalid-controller`
        )
    ),

  /** Ingress filter: the management canister has no such method. */
  unknownManagementMethod: (method: string) => reject(536, `ic00 interface does not expose method ${method}`),

  invalidManagementPayload: (method: string, detail: string) =>
    reject(408, `Failed to parse payload for ic00 method ${method}: ${detail}`),

  /** Ingress filter on a stopping or stopped canister (`StateError` display). */
  canisterStoppedIngress: (id: Principal) => reject(508, `Canister ${id.toText()} is stopped`),
  canisterStoppingIngress: (id: Principal) => reject(509, `Canister ${id.toText()} is stopping`),
  /** A query to a stopped canister (`ReplicatedState::get_active_canister`). */
  canisterStoppedQuery: (id: Principal) =>
    reject(508, `Canister ${id.toText()} is stopped and therefore does not have a CallContextManager`),

  methodNotFound: (id: Principal, kind: 'update' | 'query', method: string) =>
    reject(
      536,
      `Error from Canister ${id.toText()}: Canister has no ${kind} method '${method}'..` +
        help('Check that the method being called is exported by the target canister.', `${DOCS}method-not-found`)
    ),

  wasmModuleNotFound: (id: Principal) =>
    reject(
      537,
      `Error from Canister ${id.toText()}: Attempted to execute a message, but the canister contains no Wasm module..` +
        help('Please install code to this canister before calling it.', `${DOCS}wasm-module-not-found`)
    ),

  invalidWasm: (id: Principal, detail: string) =>
    reject(505, `Error from Canister ${id.toText()}: Canister's Wasm module is not valid: ${detail}`),

  trapped: (id: Principal, detail: string) =>
    reject(
      502,
      `Error from Canister ${id.toText()}: Canister trapped: ${detail}.` +
        help(
          'Consider gracefully handling failures from this canister or altering the canister to handle exceptions.',
          `${DOCS}trapped`
        )
    ),

  canisterNonEmpty: (id: Principal) =>
    reject(
      514,
      `Canister ${id.toText()} cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead.` +
        help("Check that you want to overwrite the canister and, if so, use mode='reinstall'.", `${DOCS}canister-not-empty`)
    ),

  deleteNotStopped: (id: Principal) =>
    reject(
      510,
      `Canister ${id.toText()} must be stopped before it is deleted.` +
        help('Stop the canister before deleting it.', `${DOCS}delete-canister-not-stopped`)
    ),

  /** The replica's exact message is not reproduced; this is the error code's description. */
  stopTimeout: () => reject(206, 'Stop canister request timed out'),

  stopCancelled: (id: Principal) => reject(511, `Canister ${id.toText()}'s stop request was cancelled.`),

  invalidSettings: (detail: string) =>
    reject(
      504,
      `Could not validate the settings: ${detail} ` +
        help('Apply the described changes to make the settings valid.', `${DOCS}invalid-settings`)
    ),

  /** The replica's debit figures are not modelled; the fault reports a debit just above the limit. */
  heapDeltaRateLimited: (canister: Principal) =>
    reject(
      210,
      `Canister ${canister.toText()} is heap delta rate limited: current delta debit is 1073741825, but limit is 1073741824.` +
        help('Try waiting a few seconds before retrying the operation.', `${DOCS}canister-heap-delta-rate-limited`)
    ),

  snapshotNotFound: (canister: Principal, snapshot: SnapshotLabel) =>
    reject(
      305,
      `Could not find the snapshot ID ${snapshot} for canister ${canister.toText()}.` +
        help('Use the `list_canister_snapshot` API to see which snapshots are present.', `${DOCS}canister-snapshot-not-found`)
    ),

  snapshotInvalidOwnership: (canister: Principal, snapshot: SnapshotLabel) =>
    reject(
      406,
      `The snapshot ${snapshot} does not belong to canister ${canister.toText()}.` +
        help(
          'Use the `list_canister_snapshot` API to see which snapshots are present.',
          `${DOCS}canister-snapshot-invalid-ownership`
        )
    ),

  snapshotNotController: (canister: Principal, snapshot: SnapshotLabel, sender: Principal) =>
    reject(
      406,
      `Only a controller of the canister that snapshot ${snapshot} belongs to can load it on canister ${canister.toText()}. Sender: ${sender.toText()}.` +
        help(
          'Make sure you are a controller of the canister that the snapshot belongs to.',
          'canister-snapshot-not-controller'
        )
    ),

  snapshotLimitExceeded: (canister: Principal, limit: number) =>
    reject(
      406,
      `Canister ${canister.toText()} has reached the maximum number of snapshots allowed: ${limit}.` +
        help(
          'Consider deleting an unnecessary snapshot of the specified canister before creating a new one.',
          'canister-snapshot-limit-exceeded'
        )
    ),

  /** Verbatim, trailing colon included: the replica formats it with nothing after the colon. */
  snapshotOfEmptyCanister: (canister: Principal) =>
    reject(406, `Failed to create snapshot for empty canister ${canister.toText()}:`),

  snapshotNotEnoughCycles: (canister: Principal, missing: bigint | undefined) =>
    reject(
      207,
      'Canister snapshotting failed with: `' +
        (missing === undefined
          ? `Canister ${canister.toText()} is out of cycles`
          : `Canister ${canister.toText()} is out of cycles: please top up the canister with at least ${missing} additional cycles`) +
        '`' +
        help('Try sending more cycles with the request.', 'canister-snapshot-not-enough-cycles')
    ),

  insufficientCyclesInMemoryGrow: (bytes: bigint, missing: bigint) =>
    reject(
      532,
      `Canister cannot grow memory by ${bytes} bytes due to insufficient cycles. At least ${missing} additional cycles are required.` +
        help('Top up the canister with more cycles.', `${DOCS}insufficient-cycles-in-memory-grow-1`)
    ),

  /** `CanisterOutOfCyclesError` for an ingress message whose induction the canister cannot pay. */
  canisterOutOfCycles: (canister: Principal) => reject(207, `Canister ${canister.toText()} is out of cycles`),

  snapshotImmutable: () => reject(409, 'Only canister snapshots created by metadata upload can be mutated.'),

  invalidSlice: (offset: bigint, size: bigint) =>
    reject(
      408,
      `Invalid subslice into wasm module / main memory / stable memory: offset: ${offset}, size: ${size}`
    ),

  sliceTooLarge: (requested: bigint, allowed: number) =>
    reject(408, `Requested slice too large: ${requested} > ${allowed}`),

  invalidSnapshotMetadata: (detail: string) => reject(408, `Snapshot Metadata contains invalid data: ${detail}`),

  snapshotInconsistent: (detail: string) => reject(408, detail),

  invalidSnapshotId: (detail: string) => reject(408, detail),

  wasmChunkNotFound: (hash: Uint8Array) =>
    reject(
      504,
      `Error from Wasm chunk store: WasmChunkHash ${rustBytes(hash)} not found.` +
        help(
          'Use the `stored_chunks` API to check which hashes are present or top up the canister if it is low on cycles.',
          `${DOCS}wasm-chunk-store-error`
        )
    ),

  notAQueryMethod: (method: string) =>
    reject(
      536,
      `Error from Canister aaaaa-aa: Canister has no query method '${method}'..` +
        help('Check that the method being called is exported by the target canister.', `${DOCS}method-not-found`)
    )
} as const

/** Controllers print in `BTreeSet<PrincipalId>` order, i.e. by their bytes. */
function sortedTexts(principals: Principal[]): string[] {
  const order = { lt: -1, eq: 0, gt: 1 } as const
  return [...principals].sort((a, b) => order[a.compareTo(b)]).map((p) => p.toText())
}

/** `{:02x?}` of a byte slice: `[0a, ff, …]`. */
function rustBytes(bytes: Uint8Array): string {
  return `[${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(', ')}]`
}
