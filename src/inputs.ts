/**
 * Every action input, validated once into a typed request. `read(name)` returns the raw input
 * ('' when unset) so this parser serves the action (`core.getInput`), the CLI (its options) and
 * tests (a plain map). Each error names the input and the accepted form.
 */
import { Principal } from '@icp-sdk/core/principal'
import { parseDownloadOptions, parseUploadOptions } from './core/backup/options.js'
import type { DownloadRequest } from './core/commands/download.js'
import type { PruneRequest } from './core/commands/prune.js'
import type { DeleteRequest, ListRequest, RollbackRequest, SnapshotSelector } from './core/commands/types.js'
import type { UploadRequest } from './core/commands/upload.js'
import { parseMinCycles } from './core/cycles-check.js'
import { InputError } from './core/errors.js'
import { resolveNetwork, type NetworkConfig } from './core/network.js'
import type { OperationRequest, SnapshotWithRetention } from './core/operation.js'
import { parseRetentionPolicy } from './core/retention/parse.js'
import { parseSnapshotId } from './core/snapshot-id.js'
import { Inputs, TOOL } from './constants.js'

type WithoutCanisters<T> = T extends unknown ? Omit<T, 'canisters'> : never

/** The command without its canisters, which are resolved (names, `all`) after parsing. */
export type CommandInput =
  | WithoutCanisters<SnapshotWithRetention | RollbackRequest | ListRequest | DeleteRequest | PruneRequest>
  | Omit<DownloadRequest, 'canister'>
  | Omit<UploadRequest, 'canister'>

export interface ActionInputs {
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

export type ReadInput = (name: string) => string

const OPERATIONS: Record<string, CommandInput['operation']> = {
  snapshot: 'snapshot',
  rollback: 'rollback',
  restore: 'rollback',
  list: 'list',
  delete: 'delete',
  prune: 'prune',
  download: 'download',
  upload: 'upload'
}

export function parseInputs(read: ReadInput): ActionInputs {
  const get = (name: string): string => read(name).trim()
  const operation = parseOperation(get(Inputs.Operation))
  const canisterRefs = parseCanisterRefs(get(Inputs.Canister))
  const network = resolveNetwork(get(Inputs.Network), get(Inputs.RootKey))
  // The PEM is not trimmed line by line: only surrounding whitespace goes.
  const identityPem = read(Inputs.Identity).trim()
  if (identityPem === '') throw new InputError(Inputs.Identity, 'the PEM of a controller identity, e.g. `${{ secrets.ICP_IDENTITY_PEM }}`')
  const password = read(Inputs.IdentityPassword)
  const timeoutSeconds = parsePositiveInt(get(Inputs.Timeout), Inputs.Timeout, 600, 6 * 3600)
  const stopTimeoutSeconds = parsePositiveInt(get(Inputs.StopTimeout), Inputs.StopTimeout, 300, 3600)
  const concurrency = parsePositiveInt(get(Inputs.Concurrency), Inputs.Concurrency, 8, 64)
  const dryRun = parseBoolean(get(Inputs.DryRun), Inputs.DryRun, false)

  let command: CommandInput
  switch (operation) {
    case 'snapshot': {
      forbid(get, Inputs.SnapshotId, operation)
      const retention = parseRetentionPolicy({ keep: get(Inputs.Keep), maxAge: get(Inputs.MaxAge), protect: get(Inputs.Protect) })
      const minCycles = parseMinCycles(get(Inputs.MinCycles))
      command = {
        operation,
        replace: parseIdList(get(Inputs.Replace), Inputs.Replace),
        stop: parseBoolean(get(Inputs.Stop), Inputs.Stop, true),
        stopTimeoutSeconds,
        dryRun,
        consistent: parseBoolean(get(Inputs.Consistent), Inputs.Consistent, true),
        ...(retention === undefined ? {} : { retention }),
        ...(minCycles === undefined ? {} : { minCycles })
      }
      break
    }
    case 'prune': {
      forbid(get, Inputs.SnapshotId, operation)
      forbid(get, Inputs.Replace, operation)
      const policy = parseRetentionPolicy({ keep: get(Inputs.Keep), maxAge: get(Inputs.MaxAge), protect: get(Inputs.Protect) })
      if (policy === undefined) throw new InputError(Inputs.Keep, `set (or '${Inputs.MaxAge}') for operation 'prune': the policy of what to delete`)
      command = { operation, policy, dryRun }
      break
    }
    case 'download':
      command = {
        operation,
        ...parseDownloadOptions(read),
        stop: parseBoolean(get(Inputs.Stop), Inputs.Stop, true),
        stopTimeoutSeconds,
        network: network.name,
        tool: TOOL
      }
      break
    case 'upload':
      command = { operation, ...parseUploadOptions(read), stopTimeoutSeconds }
      break
    case 'rollback':
      forbid(get, Inputs.Replace, operation)
      command = {
        operation,
        snapshot: parseSelector(get(Inputs.SnapshotId), operation),
        safetySnapshot: parseBoolean(get(Inputs.SafetySnapshot), Inputs.SafetySnapshot, true),
        stopTimeoutSeconds,
        dryRun
      }
      break
    case 'list':
      forbid(get, Inputs.SnapshotId, operation)
      forbid(get, Inputs.Replace, operation)
      command = { operation }
      break
    case 'delete':
      forbid(get, Inputs.Replace, operation)
      command = { operation, snapshot: parseSelector(get(Inputs.SnapshotId), operation), dryRun }
      break
  }
  const canisterIds = get(Inputs.CanisterIds)
  return {
    canisterRefs,
    canisterIdsFile: canisterIds === '' ? undefined : canisterIds,
    network,
    identityPem,
    identityPassword: password === '' ? undefined : password,
    timeoutSeconds,
    concurrency,
    command
  }
}

/** The full request once the canisters are known; download and upload act on exactly one. */
export function toRequest(command: CommandInput, canisters: Principal[]): OperationRequest {
  if (command.operation === 'download' || command.operation === 'upload') {
    const [canister, ...more] = canisters
    if (canister === undefined || more.length > 0) {
      throw new InputError(Inputs.Canister, `exactly one canister for operation '${command.operation}'`, canisters.map((c) => c.toText()).join(' '))
    }
    return { ...command, canister }
  }
  // Spreading one member of the union keeps its shape; TypeScript cannot follow that through `Omit`.
  return { ...command, canisters } as OperationRequest
}

export function parseOperation(raw: string): CommandInput['operation'] {
  const op = OPERATIONS[raw === '' ? 'snapshot' : raw.toLowerCase()]
  if (op === undefined) throw new InputError(Inputs.Operation, `one of ${Object.keys(OPERATIONS).join(', ')}`, raw)
  return op
}

export function parseCanisterRefs(raw: string): string[] {
  const refs = raw.split(/[\s,]+/).filter((r) => r !== '')
  if (refs.length === 0) throw new InputError(Inputs.Canister, 'one or more canister IDs separated by newlines, commas or spaces')
  const seen = new Set<string>()
  for (const ref of refs) {
    if (seen.has(ref)) throw new InputError(Inputs.Canister, 'a list without duplicates', ref)
    seen.add(ref)
  }
  return refs
}

function parseSelector(raw: string, operation: string): SnapshotSelector {
  if (raw === '') throw new InputError(Inputs.SnapshotId, `set for operation '${operation}': a snapshot ID (from 'operation: list' or the 'snapshot-id' output) or 'latest'`)
  if (raw.toLowerCase() === 'latest') return { kind: 'latest' }
  return { kind: 'ids', ids: parseIdList(raw, Inputs.SnapshotId) }
}

function parseIdList(raw: string, input: string): string[] {
  const ids = raw.split(/[\s,]+/).filter((r) => r !== '')
  return ids.map((id) => parseSnapshotId(id, input))
}

export function parseBoolean(raw: string, input: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  const v = raw.toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  throw new InputError(input, "'true' or 'false'", raw)
}

export function parsePositiveInt(raw: string, input: string, fallback: number, max: number): number {
  if (raw === '') return fallback
  if (!/^\d+$/.test(raw)) throw new InputError(input, `a whole number from 1 to ${max}`, raw)
  const n = Number(raw)
  if (n < 1 || n > max) throw new InputError(input, `a whole number from 1 to ${max}`, raw)
  return n
}

function forbid(get: (name: string) => string, input: string, operation: string): void {
  if (get(input) !== '') throw new InputError(input, `empty for operation '${operation}' (it does not use it)`, get(input))
}
