/**
 * A canister module compiled once and shared by every canister, upgrade and snapshot load that
 * uses the same bytes (keyed by the module hash).
 */
import { createHash } from 'node:crypto'
import { InvalidModuleError } from '../contracts.js'
import { decompressModule, prepareModule, type PreparedModule } from './module-layout.js'
import { SUPPORTED_IC0_FUNCTIONS } from './system-api.js'

export interface CompiledModule {
  /** The bytes as installed (possibly gzipped); what snapshots store and `module_hash` hashes. */
  original: Uint8Array
  hash: Uint8Array
  prepared: PreparedModule
  module: WebAssembly.Module
  updateMethods: ReadonlySet<string>
  queryMethods: ReadonlySet<string>
}

const UPDATE_PREFIX = 'canister_update '
const QUERY_PREFIXES = ['canister_query ', 'canister_composite_query ']
/** Enough for the modules a test run or demo juggles; compiled code for big modules is large. */
const CACHE_LIMIT = 16

const cache = new Map<string, Promise<CompiledModule>>()

export function moduleHash(wasmModule: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(wasmModule).digest())
}

export function compileModule(wasmModule: Uint8Array): Promise<CompiledModule> {
  const hash = moduleHash(wasmModule)
  const key = Buffer.from(hash).toString('hex')
  const cached = cache.get(key)
  if (cached !== undefined) {
    // Re-insert to keep the map in least-recently-used order.
    cache.delete(key)
    cache.set(key, cached)
    return cached
  }
  const compiled = compile(wasmModule.slice(), hash)
  cache.set(key, compiled)
  compiled.catch(() => cache.delete(key))
  for (const oldest of cache.keys()) {
    if (cache.size <= CACHE_LIMIT) break
    cache.delete(oldest)
  }
  return compiled
}

async function compile(original: Uint8Array, hash: Uint8Array): Promise<CompiledModule> {
  const prepared = prepareModule(decompressModule(original))
  checkImports(prepared)
  let module: WebAssembly.Module
  try {
    module = await WebAssembly.compile(prepared.executable)
  } catch (error) {
    throw new InvalidModuleError(`Wasm module is not valid: ${error instanceof Error ? error.message : String(error)}`)
  }
  const updateMethods = new Set<string>()
  const queryMethods = new Set<string>()
  for (const { name, kind } of WebAssembly.Module.exports(module)) {
    if (kind !== 'function') continue
    if (name.startsWith(UPDATE_PREFIX)) updateMethods.add(name.slice(UPDATE_PREFIX.length))
    const queryPrefix = QUERY_PREFIXES.find((prefix) => name.startsWith(prefix))
    if (queryPrefix !== undefined) queryMethods.add(name.slice(queryPrefix.length))
  }
  for (const name of updateMethods) {
    if (queryMethods.has(name)) {
      throw new InvalidModuleError(`Wasm module has an invalid export section. Duplicate function '${name}' exported multiple times with different call types: update, query, or composite_query.`)
    }
  }
  return { original, hash, prepared, module, updateMethods, queryMethods }
}

/** Wording after the replica's `WasmValidationError::InvalidImportSection`. */
function checkImports(prepared: PreparedModule): void {
  for (const entry of prepared.imports) {
    if (entry.kind !== 'function') {
      throw new InvalidModuleError(`Wasm module has an invalid import section. Module imports ${entry.kind} '${entry.name}' from '${entry.module}'; only functions from 'ic0' can be imported.`)
    }
    if (entry.module !== 'ic0' || !SUPPORTED_IC0_FUNCTIONS.has(entry.name)) {
      throw new InvalidModuleError(
        `Wasm module has an invalid import section. Module imports function '${entry.name}' from '${entry.module}' that is not exported by the runtime. ` +
          'The emulator implements the System API subset listed in emulator/docs/system-api.md.'
      )
    }
  }
}
