/**
 * Reads the few parts of a Wasm binary the emulator needs (imports, globals, exports, memories,
 * start function, custom sections) and prepares the module for execution the way the replica's
 * instrumentation does: every mutable global and the memory become exports, so that JS can save
 * and restore them around a message and in snapshots, and the start function becomes an export,
 * so that instantiating for a snapshot load does not run it.
 *
 * @see https://webassembly.github.io/spec/core/binary/modules.html
 */
import { gunzipSync } from 'node:zlib'
import { InvalidModuleError } from '../contracts.js'

export type GlobalValueType = 'i32' | 'i64' | 'f32' | 'f64'

export interface ModuleImport {
  module: string
  name: string
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
}

export interface PreparedModule {
  /** The bytes to compile: the original module plus the extra exports, without a start section. */
  executable: Uint8Array
  imports: ModuleImport[]
  /** Export name of the memory, if the module has one. */
  memoryExport?: string
  /** Export name of the former start function, if the module had one. */
  startExport?: string
  /** Exported mutable globals as a snapshot lists them: export order, then the added exports. */
  mutableGlobals: { exportName: string; type: GlobalValueType }[]
  /** `icp:public <name>` / `icp:private <name>` custom sections, keyed by `<name>`. */
  metadata: Map<string, Uint8Array>
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
const GZIP_MAGIC = [0x1f, 0x8b]

const SECTION_CUSTOM = 0
const SECTION_IMPORT = 2
const SECTION_MEMORY = 5
const SECTION_GLOBAL = 6
const SECTION_EXPORT = 7
const SECTION_START = 8
/** Position of each known section id in the mandatory order (tag and data count sit in between). */
const SECTION_ORDER = new Map([
  [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [13, 6], [6, 7], [7, 8], [8, 9], [9, 10], [12, 11], [10, 12], [11, 13]
])

export const START_EXPORT = '__ic_emulator_start'
export const MEMORY_EXPORT = '__ic_emulator_memory'
/** The replica's name for the exports its instrumentation adds for non-exported mutable globals. */
const GLOBAL_EXPORT_PREFIX = '__persistent_mutable_global_'

/** The module as the canister stores it may be gzip-compressed, as `install_code` accepts. */
export function decompressModule(wasmModule: Uint8Array): Uint8Array {
  if (!startsWith(wasmModule, GZIP_MAGIC)) return wasmModule
  try {
    return new Uint8Array(gunzipSync(wasmModule))
  } catch (error) {
    throw new InvalidModuleError(`Failed to decompress the gzipped Wasm module: ${String(error)}`)
  }
}

export function prepareModule(wasm: Uint8Array): PreparedModule {
  if (!startsWith(wasm, WASM_MAGIC)) {
    throw new InvalidModuleError('Canister module is not a Wasm binary: it does not start with the `\\0asm` magic and version 1.')
  }
  try {
    return rewrite(wasm)
  } catch (error) {
    if (error instanceof InvalidModuleError) throw error
    throw new InvalidModuleError(`Failed to decode wasm module: ${error instanceof Error ? error.message : String(error)}`)
  }
}

interface Section {
  id: number
  start: number
  end: number
  payloadStart: number
}

interface ExportEntry {
  name: string
  kind: number
  index: number
}

function rewrite(wasm: Uint8Array): PreparedModule {
  const sections = readSections(wasm)
  const imports: ModuleImport[] = []
  const globalTypes: { type: GlobalValueType | 'other'; mutable: boolean }[] = []
  let exports: ExportEntry[] = []
  let exportSection: Section | undefined
  let startSection: Section | undefined
  let startFunction: number | undefined
  let memoryCount = 0
  const metadata = new Map<string, Uint8Array>()

  for (const section of sections) {
    const reader = new Reader(wasm, section.payloadStart, section.end)
    switch (section.id) {
      case SECTION_CUSTOM: {
        const name = reader.name()
        const match = /^icp:(public|private) (.+)$/.exec(name)
        if (match?.[2] !== undefined) metadata.set(match[2], wasm.slice(reader.offset, section.end))
        break
      }
      case SECTION_IMPORT:
        for (let i = reader.u32(); i > 0; i--) {
          const entry = { module: reader.name(), name: reader.name() }
          const kind = reader.byte()
          if (kind === 0) {
            reader.u32()
            imports.push({ ...entry, kind: 'function' })
          } else if (kind === 1) {
            reader.valueType()
            reader.limits()
            imports.push({ ...entry, kind: 'table' })
          } else if (kind === 2) {
            reader.limits()
            memoryCount++
            imports.push({ ...entry, kind: 'memory' })
          } else if (kind === 3) {
            globalTypes.push({ type: reader.valueType(), mutable: reader.byte() === 1 })
            imports.push({ ...entry, kind: 'global' })
          } else if (kind === 4) {
            reader.byte()
            reader.u32()
            imports.push({ ...entry, kind: 'tag' })
          } else {
            throw new Error(`unknown import kind ${kind}`)
          }
        }
        break
      case SECTION_MEMORY:
        memoryCount += reader.u32()
        break
      case SECTION_GLOBAL:
        for (let i = reader.u32(); i > 0; i--) {
          globalTypes.push({ type: reader.valueType(), mutable: reader.byte() === 1 })
          reader.skipConstantExpression()
        }
        break
      case SECTION_EXPORT:
        exportSection = section
        exports = []
        for (let i = reader.u32(); i > 0; i--) exports.push({ name: reader.name(), kind: reader.byte(), index: reader.u32() })
        break
      case SECTION_START:
        startSection = section
        startFunction = reader.u32()
        break
    }
  }

  const added: ExportEntry[] = []
  const taken = new Set(exports.map((entry) => entry.name))
  const addExport = (name: string, kind: number, index: number): string => {
    if (taken.has(name)) throw new InvalidModuleError(`Wasm module exports the reserved name '${name}'.`)
    added.push({ name, kind, index })
    taken.add(name)
    return name
  }

  let memoryExport: string | undefined
  if (memoryCount > 0) memoryExport = exports.find((entry) => entry.kind === 2 && entry.index === 0)?.name ?? addExport(MEMORY_EXPORT, 2, 0)
  const startExport = startFunction === undefined ? undefined : addExport(START_EXPORT, 0, startFunction)

  const mutableGlobals: PreparedModule['mutableGlobals'] = []
  const exportedGlobals = new Set<number>()
  const globalOf = (index: number, exportName: string): void => {
    const global = globalTypes[index]
    if (global === undefined) throw new Error(`export '${exportName}' refers to missing global ${index}`)
    if (!global.mutable) return
    if (global.type === 'other') {
      throw new InvalidModuleError(`Wasm module has a mutable global of a type the emulator cannot snapshot (global ${index}); only i32, i64, f32 and f64 are supported.`)
    }
    mutableGlobals.push({ exportName, type: global.type })
  }
  for (const entry of exports) {
    if (entry.kind !== 3) continue
    exportedGlobals.add(entry.index)
    globalOf(entry.index, entry.name)
  }
  globalTypes.forEach((global, index) => {
    if (global.mutable && !exportedGlobals.has(index)) globalOf(index, addExport(`${GLOBAL_EXPORT_PREFIX}${index}`, 3, index))
  })

  const executable = assemble(wasm, sections, { exportSection, startSection, exports, added })
  return { executable, imports, memoryExport, startExport, mutableGlobals, metadata }
}

function assemble(
  wasm: Uint8Array,
  sections: Section[],
  edit: { exportSection?: Section; startSection?: Section; exports: ExportEntry[]; added: ExportEntry[] }
): Uint8Array {
  if (edit.added.length === 0 && edit.startSection === undefined) return wasm
  const entries = [...edit.exports, ...edit.added]
  const payload: number[] = [...uleb(entries.length)]
  for (const entry of entries) {
    const name = new TextEncoder().encode(entry.name)
    payload.push(...uleb(name.length), ...name, entry.kind, ...uleb(entry.index))
  }
  const exportBytes = Uint8Array.from([SECTION_EXPORT, ...uleb(payload.length), ...payload])

  const parts: Uint8Array[] = [wasm.subarray(0, 8)]
  let exportWritten = false
  const order = SECTION_ORDER.get(SECTION_EXPORT) ?? 0
  for (const section of sections) {
    const position = SECTION_ORDER.get(section.id)
    if (!exportWritten && position !== undefined && position > order) {
      parts.push(exportBytes)
      exportWritten = true
    }
    if (section === edit.startSection) continue
    if (section === edit.exportSection) {
      parts.push(exportBytes)
      exportWritten = true
      continue
    }
    parts.push(wasm.subarray(section.start, section.end))
  }
  if (!exportWritten) parts.push(exportBytes)
  const total = parts.reduce((sum, part) => sum + part.length, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

function readSections(wasm: Uint8Array): Section[] {
  const sections: Section[] = []
  const reader = new Reader(wasm, 8, wasm.length)
  while (reader.offset < wasm.length) {
    const start = reader.offset
    const id = reader.byte()
    const size = reader.u32()
    const payloadStart = reader.offset
    const end = payloadStart + size
    if (end > wasm.length) throw new Error(`section ${id} at offset ${start} runs past the end of the module`)
    sections.push({ id, start, end, payloadStart })
    reader.offset = end
  }
  return sections
}

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
    private readonly end: number
  ) {}

  byte(): number {
    if (this.offset >= this.end) throw new Error(`unexpected end of section at offset ${this.offset}`)
    return this.bytes[this.offset++] ?? 0
  }

  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const byte = this.byte()
      result += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return result
      shift += 7
      if (shift > 63) throw new Error(`LEB128 number too long at offset ${this.offset}`)
    }
  }

  /** Signed LEB128; only skipped, so the value is not needed. */
  skipSigned(): void {
    while ((this.byte() & 0x80) !== 0);
  }

  skip(count: number): void {
    if (this.offset + count > this.end) throw new Error(`unexpected end of section at offset ${this.offset}`)
    this.offset += count
  }

  name(): string {
    const length = this.u32()
    const start = this.offset
    this.skip(length)
    return new TextDecoder().decode(this.bytes.subarray(start, start + length))
  }

  limits(): void {
    const flags = this.byte()
    this.u32()
    if ((flags & 1) !== 0) this.u32()
  }

  valueType(): GlobalValueType | 'other' {
    const code = this.byte()
    switch (code) {
      case 0x7f:
        return 'i32'
      case 0x7e:
        return 'i64'
      case 0x7d:
        return 'f32'
      case 0x7c:
        return 'f64'
      case 0x63:
      case 0x64:
        this.skipSigned()
        return 'other'
      default:
        return 'other'
    }
  }

  /** Constant expressions: the MVP, extended-const, reference and SIMD constant instructions. */
  skipConstantExpression(): void {
    for (;;) {
      const opcode = this.byte()
      switch (opcode) {
        case 0x0b:
          return
        case 0x41:
        case 0x42:
          this.skipSigned()
          break
        case 0x43:
          this.skip(4)
          break
        case 0x44:
          this.skip(8)
          break
        case 0x23:
        case 0xd2:
          this.u32()
          break
        case 0xd0:
          this.skipSigned()
          break
        case 0x6a:
        case 0x6b:
        case 0x6c:
        case 0x7c:
        case 0x7d:
        case 0x7e:
          break
        case 0xfd:
          if (this.u32() !== 12) throw new Error(`unsupported SIMD instruction in a constant expression at offset ${this.offset}`)
          this.skip(16)
          break
        default:
          throw new Error(`unsupported instruction 0x${opcode.toString(16)} in a constant expression at offset ${this.offset - 1}`)
      }
    }
  }
}

function uleb(value: number): number[] {
  const out: number[] = []
  let rest = value
  do {
    let byte = rest & 0x7f
    rest = Math.floor(rest / 128)
    if (rest !== 0) byte |= 0x80
    out.push(byte)
  } while (rest !== 0)
  return out
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((value, index) => bytes[index] === value)
}
