/**
 * The replica's wording for execution failures, so that clients which match on error codes and
 * text (icp-cli matches IC0503, IC0504, IC0536) behave as they do against the IC.
 *
 * @see https://github.com/dfinity/ic/blob/master/rs/interfaces/src/execution_environment/errors.rs
 *   (`HypervisorError::into_user_error`, `AsErrorHelp`)
 */
import type { Principal } from '@icp-sdk/core/principal'
import type { Reject } from '../contracts.js'

const DOCS = 'http://internetcomputer.org/docs/current/references/execution-errors#'

const TOOLCHAIN_HELP =
  'This is likely an error with the compiler/CDK toolchain being used to build the canister. ' +
  'Please report the error to IC devs on the forum: https://forum.dfinity.org and include which ' +
  'language/CDK was used to create the canister.'

const TRAP_SUGGESTION =
  'Consider gracefully handling failures from this canister or altering the canister to handle exceptions.'

/** Why a message failed inside the canister; turned into a `Reject` once the canister id is known. */
export type HypervisorFailure =
  | { kind: 'called-trap'; message: string }
  | { kind: 'trapped'; trapCode: string }
  | { kind: 'contract-violation'; description: string }
  | { kind: 'method-not-found'; methodKind: 'update' | 'query' | 'system'; method: string }

/**
 * Thrown from inside the System API (and so through the running Wasm code) to abort a message.
 * Never escapes the execution layer: the canister turns it into a reject or a `CanisterExecutionError`.
 */
export class HypervisorTrap extends Error {
  override name = 'HypervisorTrap'
  constructor(readonly failure: HypervisorFailure) {
    super(describe(failure))
  }
}

/**
 * An install, upgrade or restore that failed while running canister code (a trap in
 * `canister_init`, `canister_pre_upgrade`, `canister_post_upgrade`…). `reject` carries the IC's
 * code and wording for the management-canister reply; the canister is left as it was.
 */
export class CanisterExecutionError extends Error {
  override name = 'CanisterExecutionError'
  constructor(readonly reject: Reject) {
    super(reject.message)
  }
}

/** Maps a Wasm engine trap (V8's wording) onto the replica's `TrapCode` display text. */
export function trapCodeOf(error: unknown): string | undefined {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'stack overflow'
  if (!(error instanceof WebAssembly.RuntimeError)) return undefined
  const text = error.message
  if (/unreachable/i.test(text)) return 'unreachable'
  if (/memory access out of bounds/i.test(text)) return 'heap out of bounds'
  if (/(divide|remainder) by zero/i.test(text)) return 'integer division by 0'
  if (/table (index|access)/i.test(text)) return 'table out of bounds'
  return 'unknown'
}

export function toReject(failure: HypervisorFailure, canisterId: Principal): Reject {
  const prefix = `Error from Canister ${canisterId.toText()}: ${describe(failure)}.\n`
  switch (failure.kind) {
    case 'called-trap':
      return {
        code: 5,
        errorCode: 'IC0503',
        message: `${prefix}${TRAP_SUGGESTION} See documentation: ${DOCS}trapped-explicitly`
      }
    case 'trapped':
      return { code: 5, errorCode: 'IC0502', message: `${prefix}${TRAP_SUGGESTION} See documentation: ${DOCS}trapped` }
    case 'contract-violation':
      return { code: 5, errorCode: 'IC0504', message: `${prefix}${TOOLCHAIN_HELP}` }
    case 'method-not-found':
      // The doubled period is the replica's: the description ends with one and the wrapper adds one.
      return {
        code: 5,
        errorCode: 'IC0536',
        message: `${prefix}Check that the method being called is exported by the target canister. See documentation: ${DOCS}method-not-found`
      }
  }
}

/** Reject for a call that returned without `ic0.msg_reply` or `ic0.msg_reject` (IC0506). */
export function didNotReply(canisterId: Principal): Reject {
  return { code: 5, errorCode: 'IC0506', message: `Canister ${canisterId.toText()} did not reply to the call` }
}

/** Reject for an explicit `ic0.msg_reject`: CANISTER_REJECT with the canister's own text. */
export function canisterReject(message: string): Reject {
  return { code: 4, errorCode: 'IC0406', message }
}

function describe(failure: HypervisorFailure): string {
  switch (failure.kind) {
    case 'called-trap':
      return `Canister called \`ic0.trap\` with message: '${failure.message}'`
    case 'trapped':
      return `Canister trapped: ${failure.trapCode}`
    case 'contract-violation':
      return `Canister violated contract: ${failure.description}`
    case 'method-not-found':
      return `Canister has no ${failure.methodKind} method '${failure.method}'.`
  }
}
