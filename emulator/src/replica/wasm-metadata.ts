/**
 * Reads a module's `icp:public <name>` / `icp:private <name>` custom sections, which the state tree
 * publishes under `/canister/<id>/metadata/<name>` (e.g. `candid:service`).
 */
import { gunzipSync } from 'node:zlib'

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]
const GZIP_MAGIC = [0x1f, 0x8b]
const CUSTOM_SECTION = 0

/** Metadata sections by name; an unparsable module yields none (install validates the module). */
export function readCanisterMetadata(wasmModule: Uint8Array): Map<string, Uint8Array> {
  const metadata = new Map<string, Uint8Array>()
  const bytes = startsWith(wasmModule, GZIP_MAGIC) ? new Uint8Array(gunzipSync(wasmModule)) : wasmModule
  if (!startsWith(bytes, WASM_MAGIC) || bytes.length < 8) return metadata
  let pos = 8
  while (pos < bytes.length) {
    const id = bytes[pos++]
    const size = readLeb(bytes, pos)
    if (size === undefined) return metadata
    pos = size.next
    const end = pos + size.value
    if (end > bytes.length) return metadata
    if (id === CUSTOM_SECTION) {
      const nameLength = readLeb(bytes, pos)
      if (nameLength === undefined || nameLength.next + nameLength.value > end) return metadata
      const name = new TextDecoder().decode(bytes.subarray(nameLength.next, nameLength.next + nameLength.value))
      const match = /^icp:(?:public|private) (.+)$/.exec(name)
      if (match) metadata.set(match[1], bytes.slice(nameLength.next + nameLength.value, end))
    }
    pos = end
  }
  return metadata
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b)
}

/** Unsigned LEB128, at most 5 bytes (u32) as the Wasm binary format allows. */
function readLeb(bytes: Uint8Array, start: number): { value: number; next: number } | undefined {
  let value = 0
  for (let i = 0; i < 5 && start + i < bytes.length; i++) {
    const byte = bytes[start + i]
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) return { value, next: start + i + 1 }
  }
  return undefined
}
