/**
 * The inputs every operation shares (which canisters, which network, which identity, the step's
 * budgets) and the declarations several operations reuse. Operation-specific inputs are declared
 * in the operation's own module.
 */
import { Inputs } from '../../constants.js'
import type { InputDecl } from '../operations/types.js'
import { InputError } from '../errors.js'
import { resolveNetwork, type NetworkConfig } from '../network.js'
import { parseRetentionPolicy } from '../retention/parse.js'
import type { RetentionPolicy } from '../retention/policy.js'
import type { SnapshotSelector } from '../commands/types.js'
import { parseBoolean, parseIdList, parseWholeNumber, splitList, type ReadInput } from './values.js'

/** Declared for every operation; `operation` itself is the CLI's subcommand. */
export const COMMON_INPUTS: readonly InputDecl[] = [
  { name: Inputs.Operation, type: 'string', default: 'snapshot', description: 'what to do' },
  { name: Inputs.Canister, type: 'string', required: true, description: "canister principals, project canister names, or 'all'" },
  { name: Inputs.Network, type: 'string', default: 'ic', value: 'network', description: "'ic', 'local' or a URL" },
  { name: Inputs.CanisterIds, type: 'string', value: 'file', description: 'resolve names from this ID file instead of the project files' },
  { name: Inputs.RootKey, type: 'string', value: 'key', description: "'mainnet', 'fetch' or the root key in hex" },
  { name: Inputs.Identity, type: 'string', required: true, secret: true, description: 'PEM of a controller identity' },
  { name: Inputs.IdentityPassword, type: 'string', secret: true, description: 'password of an encrypted PEM' },
  { name: Inputs.Timeout, type: 'string', default: '600', value: 'seconds', description: 'budget for the whole operation' },
  {
    name: Inputs.Concurrency,
    type: 'string',
    value: 'n',
    description: 'canisters contacted at once (default 8); slices in flight for download, upload and copy (default 16)'
  }
]

export interface ConnectionInputs {
  network: NetworkConfig
  identityPem: string
  identityPassword: string | undefined
}

/** What the post step needs to reconnect, and nothing else: it must not fail on an unrelated input. */
export function parseConnection(read: ReadInput): ConnectionInputs {
  const network = resolveNetwork(read(Inputs.Network).trim(), read(Inputs.RootKey).trim())
  // The PEM is not trimmed line by line: only surrounding whitespace goes.
  const identityPem = read(Inputs.Identity).trim()
  if (identityPem === '') throw new InputError(Inputs.Identity, 'the PEM of a controller identity, e.g. `${{ secrets.ICP_IDENTITY_PEM }}`')
  const password = read(Inputs.IdentityPassword)
  return { network, identityPem, identityPassword: password === '' ? undefined : password }
}

export function parseCanisterRefs(raw: string): string[] {
  const refs = splitList(raw)
  if (refs.length === 0) throw new InputError(Inputs.Canister, 'one or more canister IDs separated by newlines, commas or spaces')
  const seen = new Set<string>()
  for (const ref of refs) {
    if (seen.has(ref)) throw new InputError(Inputs.Canister, 'a list without duplicates', ref)
    seen.add(ref)
  }
  return refs
}

const MAX_CONCURRENCY = 64

export function parseConcurrency(read: ReadInput, fallback: number): number {
  return parseWholeNumber(read(Inputs.Concurrency).trim(), Inputs.Concurrency, fallback, MAX_CONCURRENCY)
}

export function parseTimeout(read: ReadInput): number {
  return parseWholeNumber(read(Inputs.Timeout).trim(), Inputs.Timeout, 600, 6 * 3600)
}

// Declarations and parsers of inputs several operations read.

export const stopTimeoutInput = (description = 'budget for stopping'): InputDecl => ({
  name: Inputs.StopTimeout,
  type: 'string',
  default: '300',
  value: 'seconds',
  description
})

export function parseStopTimeout(read: ReadInput): number {
  return parseWholeNumber(read(Inputs.StopTimeout).trim(), Inputs.StopTimeout, 300, 3600)
}

export const dryRunInput = (description = 'check everything, change nothing'): InputDecl => ({ name: Inputs.DryRun, type: 'boolean', default: 'false', description })

export const stopInput = (description: string): InputDecl => ({ name: Inputs.Stop, type: 'boolean', default: 'true', description })

export const replaceInput: InputDecl = { name: Inputs.Replace, type: 'string', value: 'id', description: 'snapshot ID to replace' }

export const RETENTION_INPUTS: readonly InputDecl[] = [
  { name: Inputs.Keep, type: 'string', value: 'n', description: 'keep at most n snapshots per canister (1-10)' },
  { name: Inputs.MaxAge, type: 'string', value: 'duration', description: 'delete snapshots older than this, e.g. 14d' },
  { name: Inputs.Protect, type: 'string', value: 'ids', description: 'snapshot IDs never deleted or replaced' }
]

export function parseRetention(read: ReadInput): RetentionPolicy | undefined {
  return parseRetentionPolicy({ keep: read(Inputs.Keep).trim(), maxAge: read(Inputs.MaxAge).trim(), protect: read(Inputs.Protect).trim() })
}

export function readBoolean(read: ReadInput, input: string, fallback: boolean): boolean {
  return parseBoolean(read(input).trim(), input, fallback)
}

export function readIdList(read: ReadInput, input: string): string[] {
  return parseIdList(read(input).trim(), input)
}

/** `snapshot-id` for rollback and delete: `latest` (per canister) or IDs matched to canisters by owner. */
export function parseSelector(read: ReadInput, operation: string): SnapshotSelector {
  const raw = read(Inputs.SnapshotId).trim()
  if (raw === '') throw new InputError(Inputs.SnapshotId, `set for operation '${operation}': a snapshot ID (from 'operation: list' or the 'snapshot-id' output) or 'latest'`)
  if (raw.toLowerCase() === 'latest') return { kind: 'latest' }
  return { kind: 'ids', ids: parseIdList(raw, Inputs.SnapshotId) }
}
