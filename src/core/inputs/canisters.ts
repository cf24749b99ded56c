/** The `canister` input's principals, names and `all`, resolved with the project's ID files. */
import type { Principal } from '@icp-sdk/core/principal'
import type { CommandResult } from '../commands/types.js'
import { Inputs } from '../../constants.js'
import { InputError } from '../errors.js'
import { ALL_CANISTERS, resolveCanisters, type ResolvedCanister } from '../project/resolve.js'
import type { ParsedInputs } from './parse.js'

type CanisterInputs = Pick<ParsedInputs, 'canisterRefs' | 'canisterIdsFile' | 'network'>

export async function resolveCanisterRefs(inputs: CanisterInputs, projectRoot: string): Promise<ResolvedCanister[]> {
  return resolveCanisters({
    refs: inputs.canisterRefs,
    network: inputs.network.name,
    projectRoot,
    ...(inputs.canisterIdsFile === undefined ? {} : { canisterIdsFile: inputs.canisterIdsFile })
  })
}

/**
 * One canister named by another input than `canister` (copy's `from-canister`): a principal or a
 * project name, never `all`. Its errors name that input.
 */
export async function resolveOtherRef(inputs: CanisterInputs, projectRoot: string, ref: string, input: string): Promise<Principal> {
  if (ref.toLowerCase() === ALL_CANISTERS || /[\s,]/.test(ref)) throw new InputError(input, 'one canister principal or project canister name', ref)
  try {
    const [resolved] = await resolveCanisterRefs({ ...inputs, canisterRefs: [ref] }, projectRoot)
    if (resolved === undefined) throw new InputError(input, 'one canister principal or project canister name', ref)
    return resolved.principal
  } catch (error: unknown) {
    if (error instanceof InputError && error.input === Inputs.Canister) throw new InputError(input, error.accepted, ref)
    throw error
  }
}

/** Adds the project names the user wrote to each result row, for the summary and the CLI. */
export function withNames<R extends CommandResult>(result: R, resolved: ResolvedCanister[]): R {
  const names = new Map(resolved.flatMap((r) => (r.name === undefined ? [] : [[r.canisterId, r.name] as const])))
  return { ...result, results: result.results.map((r) => (names.has(r.canisterId) ? { ...r, name: names.get(r.canisterId) } : r)) }
}
