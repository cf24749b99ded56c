/**
 * Every input, validated once into a typed request: the common inputs here, the operation's own
 * by its spec. `read(name)` returns the raw input ('' when unset), so this one parser serves the
 * action (`core.getInput`), the CLI (its flags) and tests (a plain map).
 */
import type { Principal } from '@icp-sdk/core/principal'
import { Inputs } from '../../constants.js'
import { InputError } from '../errors.js'
import type { NetworkConfig } from '../network.js'
import { findOperation, operationNames, type OperationRequest } from '../operations/registry.js'
import type { OperationSpec } from '../operations/types.js'
import { parseCanisterRefs, parseConcurrency, parseConnection, parseStopTimeout, parseTimeout, readBoolean } from './common.js'
import type { ReadInput } from './values.js'

type WithoutCanisters<T> = T extends unknown ? Omit<T, 'canisters'> : never

/** The request without its canisters, which are resolved (names, `all`) after parsing. */
export type CommandInput = WithoutCanisters<OperationRequest>

export interface ParsedInputs {
  spec: OperationSpec
  /** Entries of `canister` as given: principals, project names or `all` (resolved later). */
  canisterRefs: string[]
  /** `canister-ids`: the file names are resolved from instead of the project's own files. */
  canisterIdsFile: string | undefined
  network: NetworkConfig
  identityPem: string
  identityPassword: string | undefined
  timeoutSeconds: number
  concurrency: number
  command: CommandInput
}

export function parseInputs(read: ReadInput): ParsedInputs {
  const spec = parseOperation(read(Inputs.Operation).trim())
  const canisterRefs = parseCanisterRefs(read(Inputs.Canister).trim())
  const connection = parseConnection(read)
  const timeoutSeconds = parseTimeout(read)
  // Checked for every operation: a bad value is refused even where the operation ignores the
  // input, so a workflow copied between operations does not hide a typo.
  parseStopTimeout(read)
  const concurrency = parseConcurrency(read, spec.defaultConcurrency)
  readBoolean(read, Inputs.DryRun, false)
  const command = spec.parse(read, { networkName: connection.network.name }) as CommandInput
  const canisterIds = read(Inputs.CanisterIds).trim()
  return { spec, canisterRefs, canisterIdsFile: canisterIds === '' ? undefined : canisterIds, ...connection, timeoutSeconds, concurrency, command }
}

/**
 * `parseInputs` and the spec's own `check` (age keys parsed by age-encryption): every input error
 * the step can have, and still before any canister is resolved or any request is sent.
 */
export async function readInputs(read: ReadInput): Promise<ParsedInputs> {
  const inputs = parseInputs(read)
  await inputs.spec.check?.(inputs.command)
  return inputs
}

export function parseOperation(raw: string): OperationSpec {
  const spec = findOperation(raw === '' ? 'snapshot' : raw)
  if (spec === undefined) throw new InputError(Inputs.Operation, `one of ${operationNames().join(', ')}`, raw)
  return spec
}

/** The full request once the canisters are known; an operation declaring `canisters: 'one'` gets exactly one. */
export function toRequest(inputs: ParsedInputs, canisters: Principal[]): OperationRequest {
  if (inputs.spec.canisters === 'one' && canisters.length !== 1) {
    throw new InputError(Inputs.Canister, `exactly one canister for operation '${inputs.spec.name}'`, canisters.map((c) => c.toText()).join(' '))
  }
  // Spreading one member of the union keeps its shape; TypeScript cannot follow that through `Omit`.
  return { ...inputs.command, canisters } as OperationRequest
}
