/**
 * `metadata.json` exactly as dfx and icp write it: serde_json of the Rust
 * `ReadCanisterSnapshotMetadataResult` (crate `ic-management-canister-types`). Field names and enum
 * tags follow the Candid (`{"taken_from_canister": null}`, `{"i32": 5}`, `"inactive"` or
 * `{"active": n}`), byte fields are arrays of numbers (`serde_bytes`), u64 values plain numbers.
 * The reader is lenient where icp 1.5.0 is (missing `source`, Candid `nat` as number, string or
 * bytes) so directories written by either tool load.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-read_canister_snapshot_metadata
 */
import type { SnapshotGlobal, SnapshotMetadata } from '../transfer/client.js'
import { JsonNumber, parseLosslessJson, type JsonValue } from './lossless-json.js'

const U64_MAX = (1n << 64n) - 1n

/** A JSON value whose numbers are already rendered, so u64 and f32 values keep their exact text. */
type Rendered = null | string | { raw: string } | Rendered[] | { [key: string]: Rendered }

/**
 * Byte-for-byte what icp 1.5.0 writes (`serde_json::to_string_pretty`: two-space indent, one
 * element per line, `[]` for empty arrays, no trailing newline).
 */
export function renderMetadataJson(meta: SnapshotMetadata): string {
  const num = (n: bigint | number): { raw: string } => ({ raw: String(n) })
  const bytes = (data: Uint8Array): Rendered[] => Array.from(data, num)
  const value: Rendered = {
    source: 'metadataUpload' in meta.source ? { metadata_upload: null } : { taken_from_canister: null },
    taken_at_timestamp: num(meta.takenAtTimestamp),
    wasm_module_size: num(meta.wasmModuleSize),
    globals: meta.globals.map(renderGlobal),
    wasm_memory_size: num(meta.wasmMemorySize),
    stable_memory_size: num(meta.stableMemorySize),
    wasm_chunk_store: meta.wasmChunkStore.map((c) => ({ hash: bytes(c.hash) })),
    canister_version: num(meta.canisterVersion),
    certified_data: bytes(meta.certifiedData),
    global_timer: meta.globalTimer === undefined ? null : 'active' in meta.globalTimer ? { active: num(meta.globalTimer.active) } : 'inactive',
    on_low_wasm_memory_hook_status:
      meta.onLowWasmMemoryHookStatus === undefined
        ? null
        : 'ready' in meta.onLowWasmMemoryHookStatus
          ? 'ready'
          : 'executed' in meta.onLowWasmMemoryHookStatus
            ? 'executed'
            : 'condition_not_satisfied'
  }
  return pretty(value, '')
}

function pretty(value: Rendered, indent: string): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value)
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(',\n')}\n${indent}]`
  }
  if ('raw' in value && typeof value.raw === 'string' && Object.keys(value).length === 1) return value.raw
  const entries = Object.entries(value as { [key: string]: Rendered })
  if (entries.length === 0) return '{}'
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`).join(',\n')}\n${indent}}`
}

function renderGlobal(g: SnapshotGlobal): Rendered {
  if ('i32' in g) return { i32: { raw: String(g.i32) } }
  if ('i64' in g) return { i64: { raw: String(g.i64) } }
  if ('f32' in g) return { f32: { raw: renderFloat(g.f32, true) } }
  if ('f64' in g) return { f64: { raw: renderFloat(g.f64, false) } }
  // Candid `nat`; icp reads a number up to u64 or a decimal string beyond.
  return { v128: g.v128 <= U64_MAX ? { raw: String(g.v128) } : String(g.v128) }
}

/** Shortest text that reads back to the same value (as f32 for f32 globals), like Rust's `ryu`. */
function renderFloat(value: number, single: boolean): string {
  if (!Number.isFinite(value)) throw new Error(`a ${single ? 'f32' : 'f64'} global is ${value}, which JSON cannot hold`)
  let text = String(value)
  if (single) {
    for (let digits = 1; digits <= 9; digits++) {
      const candidate = Number(value.toPrecision(digits))
      if (Math.fround(candidate) === value) {
        text = String(candidate)
        break
      }
    }
  }
  return /^-?\d+$/.test(text) ? `${text}.0` : text
}

export class MetadataFormatError extends Error {
  override name = 'MetadataFormatError'
}

export function parseMetadataJson(text: string, file: string): SnapshotMetadata {
  let root: JsonValue
  try {
    root = parseLosslessJson(text)
  } catch (error: unknown) {
    throw new MetadataFormatError(`${file} is not valid JSON (${(error as Error).message}).`)
  }
  const bad = (field: string, expected: string): never => {
    throw new MetadataFormatError(`${file}: field '${field}' must be ${expected}.`)
  }
  if (!isObject(root)) return bad('(root)', 'an object')
  const u64 = (field: string): bigint => {
    const v = root[field]
    if (!(v instanceof JsonNumber) || !v.isInteger || BigInt(v.text) < 0n || BigInt(v.text) > U64_MAX) return bad(field, 'an unsigned 64-bit integer')
    return BigInt(v.text)
  }
  const byteArray = (value: JsonValue | undefined, field: string): Uint8Array => {
    if (!Array.isArray(value)) return bad(field, 'an array of bytes')
    return Uint8Array.from(
      value.map((b) => (b instanceof JsonNumber && b.isInteger && Number(b.text) >= 0 && Number(b.text) <= 255 ? Number(b.text) : bad(field, 'an array of bytes')))
    )
  }
  const meta: SnapshotMetadata = {
    source: parseSource(root.source, bad),
    takenAtTimestamp: u64('taken_at_timestamp'),
    wasmModuleSize: u64('wasm_module_size'),
    globals: parseGlobals(root.globals, bad),
    wasmMemorySize: u64('wasm_memory_size'),
    stableMemorySize: u64('stable_memory_size'),
    wasmChunkStore: (Array.isArray(root.wasm_chunk_store) ? root.wasm_chunk_store : bad('wasm_chunk_store', 'an array')).map((c, i) => {
      if (!isObject(c)) return bad(`wasm_chunk_store[${i}]`, 'an object with a hash')
      const hash = byteArray(c.hash, `wasm_chunk_store[${i}].hash`)
      if (hash.length !== 32) return bad(`wasm_chunk_store[${i}].hash`, 'a 32-byte SHA-256')
      return { hash }
    }),
    canisterVersion: u64('canister_version'),
    certifiedData: byteArray(root.certified_data, 'certified_data')
  }
  const timer = root.global_timer
  if (timer === 'inactive') meta.globalTimer = { inactive: null }
  else if (isObject(timer) && timer.active instanceof JsonNumber && timer.active.isInteger) meta.globalTimer = { active: BigInt(timer.active.text) }
  else if (timer !== null && timer !== undefined) bad('global_timer', `"inactive", {"active": <ns>} or null`)
  const hook = root.on_low_wasm_memory_hook_status
  if (hook === 'ready') meta.onLowWasmMemoryHookStatus = { ready: null }
  else if (hook === 'executed') meta.onLowWasmMemoryHookStatus = { executed: null }
  else if (hook === 'condition_not_satisfied') meta.onLowWasmMemoryHookStatus = { conditionNotSatisfied: null }
  else if (hook !== null && hook !== undefined) bad('on_low_wasm_memory_hook_status', '"ready", "executed", "condition_not_satisfied" or null')
  return meta
}

type Bad = (field: string, expected: string) => never

function parseSource(value: JsonValue | undefined, bad: Bad): SnapshotMetadata['source'] {
  // icp 1.5.0 reads `source` as optional; an absent source only matters for display.
  if (value === undefined || value === null) return { takenFromCanister: null }
  if (isObject(value) && 'metadata_upload' in value) return { metadataUpload: null }
  if (isObject(value) && 'taken_from_canister' in value) return { takenFromCanister: null }
  return bad('source', '{"taken_from_canister": null} or {"metadata_upload": null}')
}

function parseGlobals(value: JsonValue | undefined, bad: Bad): SnapshotGlobal[] {
  if (!Array.isArray(value)) return bad('globals', 'an array')
  return value.map((g, i): SnapshotGlobal => {
    const field = `globals[${i}]`
    if (!isObject(g) || Object.keys(g).length !== 1) return bad(field, 'one of {"i32": n}, {"i64": n}, {"f32": x}, {"f64": x}, {"v128": n}')
    const [tag, raw] = Object.entries(g)[0] as [string, JsonValue]
    const int = (min: bigint, max: bigint): bigint => {
      if (!(raw instanceof JsonNumber) || !raw.isInteger) return bad(field, `an integer ${tag}`)
      const n = BigInt(raw.text)
      return n < min || n > max ? bad(field, `an integer in the ${tag} range`) : n
    }
    const float = (): number => (raw instanceof JsonNumber ? Number(raw.text) : bad(field, `a number (${tag})`))
    switch (tag) {
      case 'i32':
        return { i32: Number(int(-(1n << 31n), (1n << 31n) - 1n)) }
      case 'i64':
        return { i64: int(-(1n << 63n), (1n << 63n) - 1n) }
      case 'f32':
        return { f32: Math.fround(float()) }
      case 'f64':
        return { f64: float() }
      case 'v128':
        return { v128: parseNat(raw, () => bad(field, 'a 128-bit unsigned integer')) }
      default:
        return bad(field, 'tagged i32, i64, f32, f64 or v128')
    }
  })
}

/** Candid `nat` through serde: a number, a decimal string, or little-endian bytes. */
function parseNat(raw: JsonValue, fail: () => never): bigint {
  let n: bigint
  if (raw instanceof JsonNumber && raw.isInteger) n = BigInt(raw.text)
  else if (typeof raw === 'string' && /^\d+$/.test(raw.replace(/_/g, ''))) n = BigInt(raw.replace(/_/g, ''))
  else if (Array.isArray(raw) && raw.every((b) => b instanceof JsonNumber && b.isInteger)) {
    n = (raw as JsonNumber[]).reduceRight((acc, b) => (acc << 8n) + BigInt(b.text), 0n)
  } else return fail()
  return n < 0n || n >= 1n << 128n ? fail() : n
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber)
}
