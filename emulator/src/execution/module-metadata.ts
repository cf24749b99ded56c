/**
 * The `icp:public <name>` / `icp:private <name>` custom sections of a canister module, for the
 * state tree's `/canister/<cid>/metadata/<name>` (e.g. `candid:service`, which `icp canister call`
 * reads to encode arguments).
 */
import { decompressModule, prepareModule } from './module-layout.js'

/** Throws `InvalidModuleError` for bytes that are not a (possibly gzipped) Wasm module. */
export function readModuleMetadata(wasmModule: Uint8Array): Map<string, Uint8Array> {
  return prepareModule(decompressModule(wasmModule)).metadata
}
