/**
 * Typed errors with one-line, actionable messages. Agent errors and IC rejects are mapped into these
 * classes at the client boundary (`ic/management.ts`), so commands and the glue only ever see a
 * `SnapshotActionError`.
 *
 * Reject codes and messages: https://internetcomputer.org/docs/references/execution-errors and the
 * replica's `rs/execution_environment/src/canister_manager/types.rs`.
 */
import {
  AgentError,
  CertificateOutdatedErrorCode,
  CertificateTimeErrorCode,
  CertificateVerificationErrorCode,
  CertifiedRejectErrorCode,
  HttpErrorCode,
  HttpFetchErrorCode,
  QuerySignatureVerificationFailedErrorCode,
  TimeoutWaitingForResponseErrorCode,
  TransportError,
  TrustError,
  UncertifiedRejectErrorCode,
  UncertifiedRejectUpdateErrorCode
} from '@icp-sdk/core/agent'

export function getErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/** Base of every error this project raises on purpose; `message` is one line ending with a fix. */
export class SnapshotActionError extends Error {
  override name = 'SnapshotActionError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * Transient: the same request may succeed later. Update calls that end in a retryable error may or
 * may not have executed; callers reconcile by reading state (list, status) before re-sending.
 */
export class RetryableError extends SnapshotActionError {
  override name = 'RetryableError'
}

/** Bad input: names the input and the accepted form. Never carries the input's value if secret. */
export class InputError extends SnapshotActionError {
  override name = 'InputError'
  readonly input: string
  readonly accepted: string
  constructor(input: string, accepted: string, got?: string) {
    const shown = got === undefined ? '' : `, got '${truncate(got, 80)}'`
    super(`Input '${input}' must be ${accepted}${shown}.`)
    this.input = input
    this.accepted = accepted
  }
}

export interface CanisterContext {
  canisterId: string
  /** Principal of the identity making the calls, for messages that tell the user what to add. */
  principal?: string
  /** `ic`, `local` or the URL, for copy-pasteable commands. */
  network?: string
  snapshotId?: string
  method?: string
}

export class NotAControllerError extends SnapshotActionError {
  override name = 'NotAControllerError'
  readonly canisterId: string
  readonly principal: string | undefined
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    const who = ctx.principal ?? '<identity principal>'
    const net = networkFlag(ctx.network)
    super(
      `Identity ${who} is not a controller of canister ${ctx.canisterId}. ` +
        `Add it with \`icp canister settings update ${ctx.canisterId} --add-controller ${who}${net.icp}\` ` +
        `(dfx: \`dfx canister update-settings ${ctx.canisterId} --add-controller ${who}${net.dfx}\`), run by an existing controller.`,
      options
    )
    this.canisterId = ctx.canisterId
    this.principal = ctx.principal
  }
}

/**
 * Not a controller, but the canister's `snapshot_visibility` lets this identity read its
 * snapshots: a backup key asked to do a controller's job. Told apart from a stranger so the fix
 * offered is "use a controller identity", not "make the backup key a controller".
 */
export class ViewerNotControllerError extends NotAControllerError {
  override name = 'ViewerNotControllerError'
  constructor(ctx: CanisterContext & { operation: string }, options?: { cause?: unknown }) {
    super(ctx, options)
    const who = ctx.principal ?? '<identity principal>'
    this.message =
      `Identity ${who} may read the snapshots of canister ${ctx.canisterId} (its snapshot_visibility allows it) but is not a controller, ` +
      `and '${ctx.operation}' needs a controller; run it with a controller identity ` +
      `(or add this one with \`icp canister settings update ${ctx.canisterId} --add-controller ${who}${networkFlag(ctx.network).icp}\`, run by a controller).`
  }
}

/** Refused on a snapshot read (list, metadata, data): neither a controller nor an allowed viewer. */
export class NotASnapshotViewerError extends NotAControllerError {
  override name = 'NotASnapshotViewerError'
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    super(ctx, options)
    const who = ctx.principal ?? '<identity principal>'
    this.message =
      `Identity ${who} is neither a controller of canister ${ctx.canisterId} nor allowed by its snapshot_visibility to read snapshots; ` +
      `add it with \`icp canister settings update ${ctx.canisterId} --add-snapshot-viewer ${who}${networkFlag(ctx.network).icp}\` (run by a controller), or use a controller identity.`
  }
}

/**
 * The management methods `snapshot_visibility` opens to non-controllers; every other snapshot
 * method stays controller-only.
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-list_canister_snapshots
 */
const SNAPSHOT_READ_METHODS: ReadonlySet<string> = new Set(['list_canister_snapshots', 'read_canister_snapshot_metadata', 'read_canister_snapshot_data'])

export class CanisterNotFoundError extends SnapshotActionError {
  override name = 'CanisterNotFoundError'
  readonly canisterId: string
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    super(
      `Canister ${ctx.canisterId} does not exist on network ${ctx.network ?? 'the selected network'}. ` +
        `Check the canister ID and the 'network' input.`,
      options
    )
    this.canisterId = ctx.canisterId
  }
}

export class SnapshotNotFoundError extends SnapshotActionError {
  override name = 'SnapshotNotFoundError'
  readonly canisterId: string
  readonly snapshotId: string | undefined
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    const what = ctx.snapshotId === undefined ? 'No snapshot' : `Snapshot ${ctx.snapshotId}`
    super(
      `${what} found for canister ${ctx.canisterId}. ` +
        `Run the action with 'operation: list' to see the existing snapshot IDs.`,
      options
    )
    this.canisterId = ctx.canisterId
    this.snapshotId = ctx.snapshotId
  }
}

export class SnapshotLimitError extends SnapshotActionError {
  override name = 'SnapshotLimitError'
  readonly canisterId: string
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    super(
      `Canister ${ctx.canisterId} already has the maximum of 10 snapshots. ` +
        `Set 'replace' to the ID of a snapshot to rotate out (or 'keep' to rotate automatically), or delete one first.`,
      options
    )
    this.canisterId = ctx.canisterId
  }
}

export class OutOfCyclesError extends SnapshotActionError {
  override name = 'OutOfCyclesError'
  readonly canisterId: string
  constructor(ctx: CanisterContext, detail: string, options?: { cause?: unknown }) {
    super(
      `Canister ${ctx.canisterId} does not have enough cycles for this operation (${truncate(detail, 160)}). ` +
        `Top it up, e.g. \`icp canister top-up ${ctx.canisterId} --amount 1t${networkFlag(ctx.network).icp}\`, and retry.`,
      options
    )
    this.canisterId = ctx.canisterId
  }
}

/**
 * IC0533 / IC0534: the memory a snapshot needs would reserve more cycles than the canister's
 * `reserved_cycles_limit` allows. A top-up does not help; raising the limit does.
 */
export class ReservedCyclesLimitError extends OutOfCyclesError {
  override name = 'ReservedCyclesLimitError'
  constructor(ctx: CanisterContext, detail: string, options?: { cause?: unknown }) {
    super(ctx, detail, options)
    this.message =
      `Canister ${ctx.canisterId} would exceed its reserved cycles limit (${truncate(detail, 160)}). ` +
      `Raise the limit, e.g. \`icp canister settings update ${ctx.canisterId} --reserved-cycles-limit 5t${networkFlag(ctx.network).icp}\`, and retry.`
  }
}

export class StopTimeoutError extends SnapshotActionError {
  override name = 'StopTimeoutError'
  readonly canisterId: string
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    super(
      `Canister ${ctx.canisterId} did not stop in time (it still has open call contexts); it was started again. ` +
        `Raise 'stop-timeout', or use 'stop: false' to snapshot it while running.`,
      options
    )
    this.canisterId = ctx.canisterId
  }
}

export class SnapshotOwnershipError extends SnapshotActionError {
  override name = 'SnapshotOwnershipError'
  readonly canisterId: string
  readonly snapshotId: string | undefined
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    super(
      `Snapshot ${ctx.snapshotId ?? '(unknown)'} does not belong to canister ${ctx.canisterId}. ` +
        `Use a snapshot ID listed for this canister ('operation: list').`,
      options
    )
    this.canisterId = ctx.canisterId
    this.snapshotId = ctx.snapshotId
  }
}

export class EmptyCanisterError extends SnapshotActionError {
  override name = 'EmptyCanisterError'
  constructor(ctx: CanisterContext, options?: { cause?: unknown }) {
    super(`Canister ${ctx.canisterId} has no code installed, so there is nothing to snapshot. Deploy it first.`, options)
  }
}

export class NetworkUnreachableError extends RetryableError {
  override name = 'NetworkUnreachableError'
  readonly host: string
  constructor(host: string, detail: string, options?: { cause?: unknown }) {
    super(
      `Cannot reach the IC network at ${host} (${truncate(detail, 160)}). ` +
        `Check the 'network' input and that the network is up.`,
      options
    )
    this.host = host
  }
}

/** HTTP 5xx / 429, IC0210 heap-delta rate limiting and similar: worth a later retry. */
export class TransientError extends RetryableError {
  override name = 'TransientError'
}

/**
 * The call was sent but its outcome is unknown (response lost, polling timed out). It may have
 * executed, so the caller reconciles by reading state instead of sending a new request.
 */
export class OutcomeUnknownError extends RetryableError {
  override name = 'OutcomeUnknownError'
}

export class RootKeyMismatchError extends SnapshotActionError {
  override name = 'RootKeyMismatchError'
  constructor(host: string, options?: { cause?: unknown }) {
    super(
      `The responses from ${host} do not verify against the configured root key. ` +
        `Set 'root-key' to the network's key ('mainnet' for the IC, 'fetch' for a local test network).`,
      options
    )
  }
}

/**
 * A transfer's resume record that cannot be resumed (unreadable, or made for another transfer). Not
 * retryable: another run with `resume` reads the same file, so the message says what to do with it.
 */
export class ProgressRecordError extends SnapshotActionError {
  override name = 'ProgressRecordError'
}

export class ClockSkewError extends SnapshotActionError {
  override name = 'ClockSkewError'
  /** Network time minus this machine's time, when the error tells. */
  readonly skewMs: number | undefined
  constructor(host: string, options?: { cause?: unknown; skewMs?: number }) {
    const skewMs = options?.skewMs
    const how =
      skewMs === undefined
        ? `The clock of this machine and of ${host} disagree by more than the ingress expiry window (5 minutes).`
        : `This machine's clock is about ${formatDuration(Math.abs(skewMs))} ${skewMs > 0 ? 'behind' : 'ahead of'} ${host}, more than the ingress expiry window (5 minutes) allows.`
    super(`${how} Synchronise the system clock (NTP, e.g. \`sudo timedatectl set-ntp true\`) and retry.`, options)
    this.skewMs = skewMs
  }
}

/** `12 min`, `3 h 5 min`, `40 s`: a skew as a person reads it. */
function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 120) return `${seconds} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 120) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

export class OperationTimeoutError extends SnapshotActionError {
  override name = 'OperationTimeoutError'
  constructor(what: string, seconds: number) {
    super(`${what} did not finish within ${seconds} s. Raise 'timeout' if the network is slow.`)
  }
}

/** Any other reject from the IC; keeps the code so logs stay useful. */
export class IcRejectError extends SnapshotActionError {
  override name = 'IcRejectError'
  readonly rejectCode: number
  readonly errorCode: string | undefined
  constructor(ctx: CanisterContext, rejectCode: number, errorCode: string | undefined, rejectMessage: string, options?: { cause?: unknown }) {
    super(
      `The IC rejected ${ctx.method ?? 'the call'} for canister ${ctx.canisterId}: ${errorCode ?? `reject code ${rejectCode}`}: ${firstLine(rejectMessage)}`,
      options
    )
    this.rejectCode = rejectCode
    this.errorCode = errorCode
  }
}

export interface RejectInfo {
  rejectCode: number
  errorCode: string | undefined
  message: string
}

/** Extracts the IC reject from an agent error, whether certified, uncertified or from a query. */
export function rejectOf(error: unknown): RejectInfo | undefined {
  if (!(error instanceof AgentError)) return undefined
  const code = error.cause.code
  if (
    code instanceof CertifiedRejectErrorCode ||
    code instanceof UncertifiedRejectErrorCode ||
    code instanceof UncertifiedRejectUpdateErrorCode
  ) {
    return { rejectCode: code.rejectCode, errorCode: code.rejectErrorCode, message: code.rejectMessage }
  }
  return undefined
}

/**
 * Maps a reject to a typed error. The interface spec leaves `error_code` implementation-specific
 * and several conditions share IC0406, so the replica's message text is the only way to tell them apart.
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#reject-codes
 */
export function mapReject(reject: RejectInfo, ctx: CanisterContext, cause?: unknown): SnapshotActionError {
  const options = { cause }
  const msg = reject.message
  switch (reject.errorCode) {
    case 'IC0512':
      return ctx.method !== undefined && SNAPSHOT_READ_METHODS.has(ctx.method) ? new NotASnapshotViewerError(ctx, options) : new NotAControllerError(ctx, options)
    case 'IC0301':
      return new CanisterNotFoundError(ctx, options)
    case 'IC0305':
      return new SnapshotNotFoundError(ctx, options)
    case 'IC0533':
    case 'IC0534':
      return new ReservedCyclesLimitError(ctx, firstLine(msg), options)
    case 'IC0207':
    case 'IC0532':
    case 'IC0501':
      return new OutOfCyclesError(ctx, firstLine(msg), options)
    case 'IC0206':
      return new StopTimeoutError(ctx, options)
    case 'IC0210':
      return new TransientError(
        `Canister ${ctx.canisterId} is heap-delta rate limited (IC0210); wait a few seconds and retry, or stop it first.`,
        options
      )
    case 'IC0406':
      if (/maximum number of snapshots/i.test(msg)) return new SnapshotLimitError(ctx, options)
      if (/does not belong to canister/i.test(msg)) return new SnapshotOwnershipError(ctx, options)
      if (/empty canister/i.test(msg)) return new EmptyCanisterError(ctx, options)
      if (/not authorized/i.test(msg)) return new NotAControllerError(ctx, options)
      if (/only a controller of the canister that snapshot/i.test(msg)) return new NotAControllerError(ctx, options)
      break
  }
  if (/out of cycles/i.test(msg)) return new OutOfCyclesError(ctx, firstLine(msg), options)
  return new IcRejectError(ctx, reject.rejectCode, reject.errorCode, msg, options)
}

/** Maps anything thrown by the agent during a call for `ctx.canisterId` on `host`. */
export function mapAgentError(error: unknown, ctx: CanisterContext & { host: string }): SnapshotActionError {
  if (error instanceof SnapshotActionError) return error
  const reject = rejectOf(error)
  if (reject !== undefined) return mapReject(reject, ctx, error)
  // The replica refuses requests whose ingress expiry is outside its window (HTTP 400, "Invalid
  // request expiry"): this machine's clock is off.
  const text = `${getErrorMessage(error)} ${httpBody(error)}`
  if (/ingress_expiry not within expected range|invalid request expiry/i.test(text)) {
    return new ClockSkewError(ctx.host, { cause: error, skewMs: skewFromExpiryText(text) })
  }
  if (error instanceof AgentError) {
    const code = error.cause.code
    if (code instanceof HttpFetchErrorCode) {
      return new NetworkUnreachableError(ctx.host, firstLine(getErrorMessage(code.error)), { cause: error })
    }
    if (code instanceof HttpErrorCode) {
      // The boundary node's answer for an id in no subnet's range (dfinity/ic
      // rs/boundary_node/ic_boundary/src/errors.rs): the canister does not exist on this network.
      if (code.status === 400 && /^error: canister_not_found\b/.test(code.bodyText ?? '')) return new CanisterNotFoundError(ctx, { cause: error })
      const detail = `HTTP ${code.status} ${code.statusText}`.trim()
      if (code.status === 429 || code.status >= 500) {
        return new TransientError(`The IC network at ${ctx.host} answered ${detail}; retry later.`, { cause: error })
      }
      return new NetworkUnreachableError(ctx.host, detail, { cause: error })
    }
    if (code instanceof TimeoutWaitingForResponseErrorCode) {
      return new OutcomeUnknownError(
        `No answer from ${ctx.host} for ${ctx.method ?? 'a call'} on canister ${ctx.canisterId} before the timeout; it may still execute.`,
        { cause: error }
      )
    }
    if (code instanceof CertificateTimeErrorCode) {
      // The certificate's time is the network's; the agent's adjusted clock is this machine's as it knew it.
      const skewMs = code.certificateTime.getTime() - (code.currentTime.getTime() + code.timeDiffMsecs)
      return new ClockSkewError(ctx.host, { cause: error, skewMs })
    }
    if (code instanceof CertificateOutdatedErrorCode) {
      return new ClockSkewError(ctx.host, { cause: error })
    }
    if (
      code instanceof CertificateVerificationErrorCode ||
      code instanceof QuerySignatureVerificationFailedErrorCode ||
      error instanceof TrustError
    ) {
      return new RootKeyMismatchError(ctx.host, { cause: error })
    }
    if (error instanceof TransportError) {
      return new NetworkUnreachableError(ctx.host, firstLine(error.message), { cause: error })
    }
  }
  if (isConnectionError(error)) {
    return new NetworkUnreachableError(ctx.host, firstLine(getErrorMessage(error)), { cause: error })
  }
  return new SnapshotActionError(
    `Unexpected error during ${ctx.method ?? 'a call'} for canister ${ctx.canisterId}: ${firstLine(getErrorMessage(error))}`,
    { cause: error }
  )
}

/** The expiry window the agent gives every request (`ingress_expiry` = its now + 5 minutes). */
const AGENT_EXPIRY_MS = 5 * 60_000

/**
 * The replica's refusal names its own time (the minimum allowed expiry) and the expiry sent, which
 * the agent set about 5 minutes after its own time (rounded to the minute, so the skew is known to
 * a minute or so); dfinity/ic rs/validator/src/ingress_validation.rs words it.
 */
function skewFromExpiryText(text: string): number | undefined {
  const match = /Minimum allowed expiry: ([^,\n]+)[,\n]\s*Maximum allowed expiry: [^,\n]+[,\n]\s*Provided expiry:\s+(\d{4}-\d\d-\d\d[ T][\d:.]+(?: UTC|Z)?)/.exec(text)
  if (match === null) return undefined
  const networkNow = parseReplicaTime(match[1] as string)
  const provided = parseReplicaTime(match[2] as string)
  if (networkNow === undefined || provided === undefined) return undefined
  return networkNow - (provided - AGENT_EXPIRY_MS)
}

/** `2026-12-05 08:50:00.123456789 UTC` (the replica's `Time` display) or ISO 8601, in ms. */
function parseReplicaTime(text: string): number | undefined {
  const iso = text.trim().replace(' UTC', 'Z').replace(' ', 'T').replace(/(\.\d{3})\d*/, '$1')
  const ms = Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`)
  return Number.isNaN(ms) ? undefined : ms
}

function httpBody(error: unknown): string {
  if (error instanceof AgentError && error.cause.code instanceof HttpErrorCode) return error.cause.code.bodyText ?? ''
  return ''
}

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|UND_ERR_SOCKET)$/.test(code)) {
    return true
  }
  return error.message === 'fetch failed' || (error.cause !== undefined && isConnectionError(error.cause))
}

function networkFlag(network: string | undefined): { icp: string; dfx: string } {
  if (network === undefined || network === 'ic') return { icp: ' -n ic', dfx: ' --network ic' }
  if (network === 'local') return { icp: '', dfx: '' }
  return { icp: ` -n ${network}`, dfx: ` --network ${network}` }
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? ''
  return truncate(line.trim(), 300)
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

export function asActionError(error: unknown): SnapshotActionError {
  if (error instanceof SnapshotActionError) return error
  return new SnapshotActionError(getErrorMessage(error), { cause: error })
}

/**
 * The error each failed result row was made from. Rows are plain data (outputs, summary, JSON),
 * but a run nested in another (download of `new` → snapshot, upload with `load` → rollback) must
 * fail with the nested failure's class (stop timeout, no cycles, outage), which callers decide by.
 */
const rowErrors = new WeakMap<object, SnapshotActionError>()

export interface FailedFields {
  outcome: 'failed'
  error: string
  errorName: string
}

/** A failed row for `error`; `message` replaces the error's own when the row says more. */
export function failedRow<T extends object>(fields: T, error: unknown, message?: string): T & FailedFields {
  const e = asActionError(error)
  const row = { ...fields, outcome: 'failed' as const, error: message ?? e.message, errorName: e.name }
  rowErrors.set(row, e)
  return row
}

/**
 * The error to throw for a nested run's row that did not succeed: the row's own error object with
 * the row's message (`reword` adds the outer step's context), or a plain `SnapshotActionError`
 * when the row carries none (no row, or a skip).
 */
export function errorOfRow(row: { outcome?: string; error?: string } | undefined, fallback: string, reword: (message: string) => string = (m) => m): SnapshotActionError {
  const message = reword(row?.error ?? fallback)
  const error = row === undefined ? undefined : rowErrors.get(row)
  if (error === undefined) return new SnapshotActionError(message)
  error.message = message
  return error
}
