/**
 * Which replica's records the management canister answers with, so clients can be tried against
 * replies from older and newer replicas than the current interface spec describes:
 *
 * - `current`: the records of today's `ic.did` (candid.ts), what the emulator always sent before.
 * - `legacy`: `canister_status` as replicas answered before `memory_metrics` (ic-management-canister-types
 *   0.3.0, 2025-03), `environment_variables` (dfinity/ic #5843), `ready_for_migration`/`version`
 *   and `snapshot_visibility` (spec 0.57.0): the record of the `ic.did` that introduced snapshots
 *   (spec 0.28.0, 2024-10). The snapshot records (`snapshot`, the metadata) did not change since
 *   they were introduced, so they are answered as today.
 * - `future`: today's records with one more field in every record the action reads and one more
 *   case in their variants (never sent as the value), as a newer replica could add them; Candid
 *   lets a reader that does not know them skip them.
 *
 * The handlers always encode the current record; this re-encodes it for the other shapes, once per
 * reply of the few methods concerned (never the megabyte-sized `read_canister_snapshot_data`).
 *
 * @see https://github.com/dfinity/portal/blob/master/docs/references/_attachments/ic.did
 */
import { IDL } from '@icp-sdk/core/candid'
import { MANAGEMENT_TYPES, type ManagementMethod } from './candid.js'

export type ReplyShape = 'legacy' | 'current' | 'future'
export const REPLY_SHAPES: readonly ReplyShape[] = ['legacy', 'current', 'future']

/** The field a `future` replica adds to each record (a text, so no reader can mistake it for a number it knows). */
export const FUTURE_FIELD = 'field_of_a_future_replica'
const FUTURE_VALUE = 'ignored by readers that do not know it'

const LegacyVisibility = IDL.Variant({ controllers: IDL.Null, public: IDL.Null, allowed_viewers: IDL.Vec(IDL.Principal) })
const QueryStats = IDL.Record({
  num_calls_total: IDL.Nat,
  num_instructions_total: IDL.Nat,
  request_payload_bytes_total: IDL.Nat,
  response_payload_bytes_total: IDL.Nat
})
const StatusVariant = IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null })

const LEGACY_STATUS = IDL.Record({
  status: StatusVariant,
  settings: IDL.Record({
    controllers: IDL.Vec(IDL.Principal),
    compute_allocation: IDL.Nat,
    memory_allocation: IDL.Nat,
    freezing_threshold: IDL.Nat,
    reserved_cycles_limit: IDL.Nat,
    log_visibility: LegacyVisibility,
    wasm_memory_limit: IDL.Nat
  }),
  module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
  memory_size: IDL.Nat,
  cycles: IDL.Nat,
  reserved_cycles: IDL.Nat,
  idle_cycles_burned_per_day: IDL.Nat,
  query_stats: QueryStats
})

type Reshaper = (value: Record<string, unknown>) => { type: IDL.Type; value: unknown }

const [STATUS_CURRENT] = MANAGEMENT_TYPES.canister_status[1]
const [SNAPSHOT_CURRENT] = MANAGEMENT_TYPES.take_canister_snapshot[1]
const [METADATA_CURRENT] = MANAGEMENT_TYPES.read_canister_snapshot_metadata[1]
const [UPLOADED_CURRENT] = MANAGEMENT_TYPES.upload_canister_snapshot_metadata[1]

const legacy: Partial<Record<ManagementMethod, Reshaper>> = {
  canister_status: (v) => {
    const s = v.settings as Record<string, unknown>
    const settings = {
      controllers: s.controllers,
      compute_allocation: s.compute_allocation,
      memory_allocation: s.memory_allocation,
      freezing_threshold: s.freezing_threshold,
      reserved_cycles_limit: s.reserved_cycles_limit,
      log_visibility: s.log_visibility,
      wasm_memory_limit: s.wasm_memory_limit
    }
    const { status, module_hash, memory_size, cycles, reserved_cycles, idle_cycles_burned_per_day, query_stats } = v
    return { type: LEGACY_STATUS, value: { status, settings, module_hash, memory_size, cycles, reserved_cycles, idle_cycles_burned_per_day, query_stats } }
  }
}

/** `record` with the future field added, recursively into the nested records named in `nested`. */
function futureRecord(current: IDL.Type, nested: Record<string, IDL.Type> = {}): IDL.RecordClass {
  if (!(current instanceof IDL.RecordClass)) throw new Error(`expected a record type, got ${current.display()}`)
  const fields: Record<string, IDL.Type> = {}
  for (const [name, type] of current._fields) fields[name] = nested[name] ?? type
  fields[FUTURE_FIELD] = IDL.Text
  return IDL.Record(fields)
}

/** `variant` with one more case, which a future replica could send but this one never does. */
function futureVariant(current: IDL.Type, extraCase: string): IDL.VariantClass {
  if (!(current instanceof IDL.VariantClass)) throw new Error(`expected a variant type, got ${current.display()}`)
  return IDL.Variant({ ...Object.fromEntries(current._fields), [extraCase]: IDL.Reserved })
}

function field(record: IDL.Type, name: string): IDL.Type {
  const found = (record as IDL.RecordClass)._fields.find(([n]) => n === name)
  if (found === undefined) throw new Error(`no field ${name} in ${record.display()}`)
  return found[1]
}

const FUTURE_STATUS = futureRecord(STATUS_CURRENT, {
  status: futureVariant(field(STATUS_CURRENT, 'status'), 'migrating'),
  settings: futureRecord(field(STATUS_CURRENT, 'settings')),
  memory_metrics: futureRecord(field(STATUS_CURRENT, 'memory_metrics'))
})
const FUTURE_SNAPSHOT = futureRecord(SNAPSHOT_CURRENT)
const FUTURE_METADATA = futureRecord(METADATA_CURRENT, { source: futureVariant(field(METADATA_CURRENT, 'source'), 'restored_from_archive') })
const FUTURE_UPLOADED = futureRecord(UPLOADED_CURRENT)

const withFutureField = (v: Record<string, unknown>): Record<string, unknown> => ({ ...v, [FUTURE_FIELD]: FUTURE_VALUE })

const future: Partial<Record<ManagementMethod, Reshaper>> = {
  canister_status: (v) => ({
    type: FUTURE_STATUS,
    value: {
      ...withFutureField(v),
      settings: withFutureField(v.settings as Record<string, unknown>),
      memory_metrics: withFutureField(v.memory_metrics as Record<string, unknown>)
    }
  }),
  take_canister_snapshot: (v) => ({ type: FUTURE_SNAPSHOT, value: withFutureField(v) }),
  read_canister_snapshot_metadata: (v) => ({ type: FUTURE_METADATA, value: withFutureField(v) }),
  upload_canister_snapshot_metadata: (v) => ({ type: FUTURE_UPLOADED, value: withFutureField(v) })
}

/** The reply of `method` as a replica of `shape` would encode it (the bytes unchanged for `current`). */
export function reshapeReply(shape: ReplyShape, method: ManagementMethod, reply: Uint8Array): Uint8Array {
  if (shape === 'current') return reply
  if (shape === 'future' && method === 'list_canister_snapshots') {
    const [list] = IDL.decode(MANAGEMENT_TYPES.list_canister_snapshots[1], reply) as [Record<string, unknown>[]]
    return IDL.encode([IDL.Vec(FUTURE_SNAPSHOT)], [list.map(withFutureField)])
  }
  const reshape = (shape === 'legacy' ? legacy : future)[method]
  if (reshape === undefined) return reply
  const [value] = IDL.decode(MANAGEMENT_TYPES[method][1], reply) as [Record<string, unknown>]
  const { type, value: shaped } = reshape(value)
  return IDL.encode([type], [shaped])
}
