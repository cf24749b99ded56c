/**
 * Exact fast paths for the blob-heavy snapshot messages. @icp-sdk/core 5.4's `IDL.decode` copies
 * the rest of the message for every signed LEB128 of the type table (`PipeArrayBuffer.buffer`)
 * and `IDL.encode` concatenates a blob several times, so a 2 MB chunk costs 10–30 ms each way.
 *
 * The decoder takes only messages whose type is structurally the very type expected (the shape
 * every client sends) and returns exactly what `IDL.decode` returns for them, except that blobs
 * are views into the message instead of copies. Anything else (subtypes, other argument counts,
 * odd or malformed bytes) yields `undefined`, and the caller hands the message to `IDL.decode`,
 * whose verdict, value or error, then stands.
 */
import { IDL, idlLabelToId } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'

type Shape =
  | { readonly kind: 'principal' | 'null' | 'nat64' | 'blob' }
  | { readonly kind: 'record' | 'variant'; readonly fields: readonly Field[] }

interface Field {
  readonly name: string
  readonly id: number
  readonly shape: Shape
}

/** The type-table opcodes (negative SLEB128) this fast path reads; everything else falls back. */
const OP = { null: -1, nat8: -5, nat64: -8, opt: -18, vec: -19, record: -20, variant: -21, principal: -24 } as const
/** Primitive type codes `IDL.decode` accepts as references: null … empty, and principal. */
const isPrimitiveRef = (ref: number): boolean => (ref <= -1 && ref >= -17) || ref === OP.principal

type Entry = { readonly op: 'vec' | 'opt'; readonly ref: number } | { readonly op: 'record' | 'variant'; readonly fields: readonly (readonly [number, number])[] }

/** Thrown inside the fast path for anything it does not take; never escapes this module. */
const NOT_FAST = Symbol('not fast')

const MAGIC = [0x44, 0x49, 0x44, 0x4c] // "DIDL"

/** Maps an IDL type onto the shapes this fast path decodes; throws for any other type (a bug). */
function shapeOf(type: IDL.Type): Shape {
  if (type instanceof IDL.PrincipalClass) return { kind: 'principal' }
  if (type instanceof IDL.NullClass) return { kind: 'null' }
  if (type instanceof IDL.FixedNatClass && type._bits === 64) return { kind: 'nat64' }
  if (type instanceof IDL.VecClass && type._type instanceof IDL.FixedNatClass && type._type._bits === 8) return { kind: 'blob' }
  // Tuples decode to arrays, which this path does not build.
  if (!(type instanceof IDL.TupleClass) && (type instanceof IDL.RecordClass || type instanceof IDL.VariantClass)) {
    // `_fields` is already sorted by field id, the order values appear in on the wire.
    const fields = type._fields.map(([name, t]) => ({ name, id: idlLabelToId(name), shape: shapeOf(t) }))
    return { kind: type instanceof IDL.RecordClass ? 'record' : 'variant', fields }
  }
  throw new Error(`No fast Candid path for ${type.display()}: only records, variants, principal, null, nat64 and blob are supported`)
}

class Reader {
  pos = 0
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw NOT_FAST
    return this.bytes[this.pos++] as number
  }

  take(length: number): Uint8Array {
    if (length > this.remaining) throw NOT_FAST
    const view = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return view
  }

  leb(): number {
    let value = 0
    let scale = 1
    for (;;) {
      const byte = this.byte()
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 0x80
      // Beyond 2^49 a number loses precision; no real message gets near it.
      if (scale > 2 ** 49) throw NOT_FAST
    }
  }

  sleb(): number {
    let value = 0
    let scale = 1
    let byte: number
    do {
      byte = this.byte()
      value += (byte & 0x7f) * scale
      scale *= 0x80
      if (scale > 2 ** 49) throw NOT_FAST
    } while (byte >= 0x80)
    return byte & 0x40 ? value - scale : value
  }
}

/** The type table and the single argument type, or NOT_FAST for anything unusual. */
function readHeader(r: Reader): { table: Entry[]; arg: number } {
  for (const m of MAGIC) if (r.byte() !== m) throw NOT_FAST
  const count = r.leb()
  if (count > r.remaining) throw NOT_FAST
  const table: Entry[] = []
  const refs: number[] = []
  for (let i = 0; i < count; i++) {
    const op = r.sleb()
    if (op === OP.vec || op === OP.opt) {
      const ref = r.sleb()
      refs.push(ref)
      table.push({ op: op === OP.vec ? 'vec' : 'opt', ref })
    } else if (op === OP.record || op === OP.variant) {
      const n = r.leb()
      if (n > r.remaining) throw NOT_FAST
      const fields: [number, number][] = []
      for (let f = 0; f < n; f++) {
        const id = r.leb()
        // IDL.decode refuses ids of 2^32 and more, and unsorted or repeated ids.
        if (id >= 2 ** 32 || (f > 0 && id <= (fields[f - 1] as [number, number])[0])) throw NOT_FAST
        const ref = r.sleb()
        refs.push(ref)
        fields.push([id, ref])
      }
      table.push({ op: op === OP.record ? 'record' : 'variant', fields })
    } else {
      throw NOT_FAST
    }
  }
  if (r.leb() !== 1) throw NOT_FAST
  const arg = r.sleb()
  refs.push(arg)
  // IDL.decode resolves every reference of the table, used or not.
  for (const ref of refs) if (ref >= 0 ? ref >= count : !isPrimitiveRef(ref)) throw NOT_FAST
  return { table, arg }
}

/** Whether the wire type `ref` is exactly `shape` (same fields, same field types). */
function matches(table: readonly Entry[], ref: number, shape: Shape): boolean {
  switch (shape.kind) {
    case 'principal':
      return ref === OP.principal
    case 'null':
      return ref === OP.null
    case 'nat64':
      return ref === OP.nat64
    case 'blob': {
      const entry = ref >= 0 ? table[ref] : undefined
      return entry?.op === 'vec' && entry.ref === OP.nat8
    }
    case 'record':
    case 'variant': {
      const entry = ref >= 0 ? table[ref] : undefined
      if (entry?.op !== shape.kind || entry.fields.length !== shape.fields.length) return false
      return shape.fields.every((field, i) => {
        const [id, fieldRef] = entry.fields[i] as readonly [number, number]
        return id === field.id && matches(table, fieldRef, field.shape)
      })
    }
  }
}

function readValue(r: Reader, shape: Shape): unknown {
  switch (shape.kind) {
    case 'principal': {
      // 1 = a transparent reference; IDL.decode refuses the opaque form.
      if (r.byte() !== 1) throw NOT_FAST
      return Principal.fromUint8Array(r.take(r.leb()).slice())
    }
    case 'null':
      return null
    case 'nat64': {
      const bytes = r.take(8)
      return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)
    }
    case 'blob':
      return r.take(r.leb())
    case 'record': {
      const value: Record<string, unknown> = {}
      for (const field of shape.fields) value[field.name] = readValue(r, field.shape)
      return value
    }
    case 'variant': {
      const field = shape.fields[r.leb()]
      if (field === undefined) throw NOT_FAST
      return { [field.name]: readValue(r, field.shape) }
    }
  }
}

/**
 * A decoder for messages carrying one value of `type`: the value as `IDL.decode([type], bytes)[0]`
 * gives it (blobs as views into `bytes`), or `undefined` when `IDL.decode` must decide.
 */
export function exactDecoder<T>(type: IDL.Type): (bytes: Uint8Array) => T | undefined {
  const shape = shapeOf(type)
  return (bytes) => {
    try {
      const r = new Reader(bytes)
      const { table, arg } = readHeader(r)
      if (!matches(table, arg, shape)) return undefined
      const value = readValue(r, shape)
      return r.remaining === 0 ? (value as T) : undefined
    } catch {
      // NOT_FAST, or anything the generic decoder should judge (and word) itself.
      return undefined
    }
  }
}

/**
 * An encoder for replies of `[record { <field> : blob }]`, byte for byte what `IDL.encode` writes:
 * its encoding with an empty blob ends in the blob's length 0, and everything before is fixed.
 */
export function blobRecordEncoder(types: readonly IDL.Type[]): (blob: Uint8Array) => Uint8Array {
  const [type] = types
  const shape = types.length === 1 && type !== undefined ? shapeOf(type) : undefined
  if (shape?.kind !== 'record' || shape.fields.length !== 1 || shape.fields[0]?.shape.kind !== 'blob') {
    throw new Error('blobRecordEncoder needs exactly one type, a record with a single blob field')
  }
  const name = shape.fields[0].name
  const empty = IDL.encode([...types], [{ [name]: new Uint8Array() }])
  const head = empty.subarray(0, empty.length - 1)
  return (blob) => {
    const length = lebBytes(blob.length)
    const out = new Uint8Array(head.length + length.length + blob.length)
    out.set(head, 0)
    out.set(length, head.length)
    out.set(blob, head.length + length.length)
    return out
  }
}

function lebBytes(value: number): Uint8Array {
  const bytes: number[] = []
  let n = value
  do {
    const low = n % 0x80
    n = Math.floor(n / 0x80)
    bytes.push(n > 0 ? low | 0x80 : low)
  } while (n > 0)
  return Uint8Array.from(bytes)
}
