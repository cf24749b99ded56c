/** The test canisters and where their committed modules live. */
export const CANISTER_NAMES = ['counter_v1', 'counter_v2', 'ballast'] as const
export type CanisterName = (typeof CANISTER_NAMES)[number]

export function builtModuleUrl(name: CanisterName): URL {
  return new URL(`./build/${name}.wasm`, import.meta.url)
}
