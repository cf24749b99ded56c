/**
 * Execution layer: runs canister Wasm modules with Node's WebAssembly and the `ic0` System API.
 * See emulator/docs/system-api.md for the supported surface and its limits.
 */
export { createWasmEngine } from './engine.js'
export { CanisterExecutionError } from './errors.js'
export { moduleHash } from './compiled-module.js'
export { readModuleMetadata } from './module-metadata.js'
export { SUPPORTED_IC0_FUNCTIONS } from './system-api.js'
