/**
 * The record of a canister's installed code: the live instance plus what the state tree publishes.
 */
import { createHash } from 'node:crypto'
import type { WasmCanister } from '../contracts.js'
import type { InstalledCode } from './canister-state.js'
import { readCanisterMetadata } from './wasm-metadata.js'

/** `module_hash` is the SHA-256 of the module exactly as installed (gzipped or not). */
export function installedCode(canister: WasmCanister, wasmModule: Uint8Array): InstalledCode {
  return {
    canister,
    wasmModule,
    moduleHash: new Uint8Array(createHash('sha256').update(wasmModule).digest()),
    metadata: readCanisterMetadata(wasmModule)
  }
}
