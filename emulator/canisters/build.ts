/**
 * Builds the test canisters from their WebAssembly text with wabt, and appends each module's
 * Candid interface as the `icp:public candid:service` custom section (what `icp canister call`
 * and `icp canister metadata` read). The output depends only on the sources and the pinned wabt
 * version, so the committed modules can be checked by rebuilding them.
 */
import { readFile } from 'node:fs/promises'
import wabtInit from 'wabt'
import type { CanisterName } from './names.js'

export { builtModuleUrl, CANISTER_NAMES, type CanisterName } from './names.js'

/** Source text and Candid interface of each module, relative to this folder. */
const SOURCES: Record<CanisterName, { wat: string; did: string }> = {
  counter_v1: { wat: 'counter_v1.wat', did: 'counter.did' },
  counter_v2: { wat: 'counter_v2.wat', did: 'counter.did' },
  ballast: { wat: 'ballast.wat', did: 'ballast.did' }
}

export const CANDID_SERVICE_SECTION = 'icp:public candid:service'

export async function buildCanisterModule(name: CanisterName): Promise<Uint8Array> {
  const source = SOURCES[name]
  const [wat, did] = await Promise.all([
    readFile(new URL(`./${source.wat}`, import.meta.url), 'utf8'),
    readFile(new URL(`./${source.did}`, import.meta.url))
  ])
  const wabt = await wabtInit()
  const module = wabt.parseWat(source.wat, wat)
  try {
    module.resolveNames()
    module.validate()
    const { buffer } = module.toBinary({ log: false, write_debug_names: false, canonicalize_lebs: true })
    return appendCustomSection(buffer, CANDID_SERVICE_SECTION, new Uint8Array(did))
  } finally {
    module.destroy()
  }
}

/** A custom section is id 0, the payload size, the name (length-prefixed) and the payload. */
export function appendCustomSection(wasm: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name)
  const body = [...uleb(nameBytes.length), ...nameBytes]
  const header = [0, ...uleb(body.length + payload.length), ...body]
  const out = new Uint8Array(wasm.length + header.length + payload.length)
  out.set(wasm)
  out.set(header, wasm.length)
  out.set(payload, wasm.length + header.length)
  return out
}

function uleb(value: number): number[] {
  const out: number[] = []
  let rest = value
  do {
    let byte = rest & 0x7f
    rest >>>= 7
    if (rest !== 0) byte |= 0x80
    out.push(byte)
  } while (rest !== 0)
  return out
}
