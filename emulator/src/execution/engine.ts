/**
 * The `WasmEngine` the replica installs, upgrades and restores canisters through.
 */
import type { ExecutionEnv, ExecutionSnapshot, WasmCanister, WasmEngine } from '../contracts.js'
import { compileModule } from './compiled-module.js'
import { StableMemory } from './stable-memory.js'
import { LiveCanister } from './wasm-canister.js'

export function createWasmEngine(): WasmEngine {
  return {
    async install(wasmModule: Uint8Array, arg: Uint8Array, env: ExecutionEnv): Promise<WasmCanister> {
      const compiled = await compileModule(wasmModule)
      const canister = LiveCanister.instantiate(compiled, { stable: new StableMemory(), certifiedData: new Uint8Array(0) })
      canister.initialize('init', arg, env)
      return canister
    },

    async upgrade(current: WasmCanister, wasmModule: Uint8Array, arg: Uint8Array, env: ExecutionEnv): Promise<WasmCanister> {
      if (!(current instanceof LiveCanister)) throw new TypeError('WasmEngine.upgrade: `current` was not created by this engine')
      const compiled = await compileModule(wasmModule)
      return current.upgradeTo((seed) => LiveCanister.instantiate(compiled, seed), arg, env)
    },

    async restore(snapshot: ExecutionSnapshot): Promise<WasmCanister> {
      const compiled = await compileModule(snapshot.wasmModule)
      const canister = LiveCanister.instantiate(compiled, {
        stable: new StableMemory(snapshot.stableMemory),
        certifiedData: snapshot.certifiedData.slice(),
        globalTimer: snapshot.globalTimer
      })
      canister.load(snapshot)
      return canister
    }
  }
}
