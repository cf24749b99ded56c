/** The `canister` input's principals, names and `all`, resolved with the project's ID files. */
import type { Principal } from '@icp-sdk/core/principal'
import type { CommandResult } from '../commands/types.js'
import { resolveCanisters, type ResolvedCanister } from '../project/resolve.js'
import type { ParsedInputs } from './parse.js'

type CanisterInputs = Pick<ParsedInputs, 'canisterRefs' | 'canisterIdsFile' | 'network'>

export async function resolvePrincipals(inputs: CanisterInputs, projectRoot: string): Promise<Principal[]> {
  return (await resolveCanisterRefs(inputs, projectRoot)).map((r) => r.principal)
}

export async function resolveCanisterRefs(inputs: CanisterInputs, projectRoot: string): Promise<ResolvedCanister[]> {
  return resolveCanisters({
    refs: inputs.canisterRefs,
    network: inputs.network.name,
    projectRoot,
    ...(inputs.canisterIdsFile === undefined ? {} : { canisterIdsFile: inputs.canisterIdsFile })
  })
}

/** Adds the project names the user wrote to each result row, for the summary and the CLI. */
export function withNames<R extends CommandResult>(result: R, resolved: ResolvedCanister[]): R {
  const names = new Map(resolved.flatMap((r) => (r.name === undefined ? [] : [[r.canisterId, r.name] as const])))
  return { ...result, results: result.results.map((r) => (names.has(r.canisterId) ? { ...r, name: names.get(r.canisterId) } : r)) }
}
