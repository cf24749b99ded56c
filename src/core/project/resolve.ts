/**
 * Turns the `canister` input (principals, project canister names, or `all`) into principals, using
 * the project's dfx / icp-cli ID files or an explicit `canister-ids` file.
 */
import path from 'node:path'
import { Principal } from '@icp-sdk/core/principal'
import { InputError, SnapshotActionError } from '../errors.js'
import { projectIdFilePaths, readExplicitIdFile, readProjectIdFiles, type CanisterIdFile } from './id-files.js'
import { Inputs } from '../../constants.js'

export const ALL_CANISTERS = 'all'

export interface ResolveCanistersOptions {
  /** Entries of the `canister` input: principals, names, or the single word `all`. */
  refs: readonly string[]
  /** The `network` input: `ic`, `local` or a URL. */
  network: string
  /**
   * The dfx network / icp-cli environment whose IDs apply. Defaults to `network` when it is a name
   * (`ic`, `local`); with a URL network, names need this or `canisterIdsFile`.
   */
  environment?: string
  /** Where `canister_ids.json`, `.dfx/` and `.icp/` live (the workspace, usually). */
  projectRoot: string
  /** The `canister-ids` input: when set, the only source of names (relative to `projectRoot`). */
  canisterIdsFile?: string
}

export interface ResolvedCanister {
  canisterId: string
  principal: Principal
  /** The project name, when the user referred to the canister by name (or through `all`). */
  name?: string
  /** The ID file the name came from; undefined for principals given directly. */
  source?: string
}

/** Splits the `canister` input on newlines, commas and spaces. */
export function splitCanisterRefs(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((ref) => ref !== '')
}

/**
 * Resolves every ref to a canister principal, in input order (`all`: by name). Fails on an unknown
 * name (listing the names that exist), an invalid principal, a principal that is not a canister,
 * and on a canister given twice.
 */
export async function resolveCanisters(options: ResolveCanistersOptions): Promise<ResolvedCanister[]> {
  const refs = options.refs.map((ref) => ref.trim()).filter((ref) => ref !== '')
  if (refs.length === 0) {
    throw new InputError(Inputs.Canister, `one or more canister principals or project canister names, or '${ALL_CANISTERS}'`)
  }
  const wantsAll = refs.some((ref) => ref.toLowerCase() === ALL_CANISTERS)
  if (wantsAll && refs.length > 1) {
    throw new InputError(Inputs.Canister, `either '${ALL_CANISTERS}' alone or a list of canister names and principals`, refs.join(' '))
  }

  const direct = new Map(refs.map((ref) => [ref, parseCanisterPrincipal(ref)] as const))
  const parsed = [...direct.values()]
  // A mistyped principal may still be a (principal-shaped) name, but only where names can be known.
  const needsNames =
    wantsAll || parsed.some((p) => p === undefined) || (parsed.includes(BAD_CHECKSUM) && namesAreKnowable(options))
  const ids = needsNames ? await loadIdMap(options) : undefined

  const resolved: ResolvedCanister[] = []
  if (wantsAll && ids !== undefined) {
    const names = [...ids.names()].filter((name) => !isToolInternal(name)).sort()
    if (names.length === 0) throw ids.noCanistersError()
    for (const name of names) resolved.push(ids.resolve(name))
  } else {
    for (const ref of refs) {
      const principal = direct.get(ref)
      if (principal instanceof Principal) resolved.push({ canisterId: principal.toText(), principal })
      else if (ids?.has(ref) === true) resolved.push(ids.resolve(ref))
      else if (principal === BAD_CHECKSUM) {
        throw new InputError(Inputs.Canister, 'a valid principal (its checksum does not match; copy it again) or a project canister name', ref)
      } else if (ids !== undefined) resolved.push(ids.resolve(ref))
    }
  }
  refuseDuplicates(resolved)
  return resolved
}

const BAD_CHECKSUM = Symbol('principal with a bad checksum')

/**
 * A principal that is a canister ID; `BAD_CHECKSUM` for text shaped like a principal that does not
 * verify (unless a canister has that name, it is a typo); undefined for anything else (a name).
 */
function parseCanisterPrincipal(text: string): Principal | typeof BAD_CHECKSUM | undefined {
  let principal: Principal
  try {
    principal = Principal.fromText(text)
  } catch {
    return looksLikePrincipal(text) ? BAD_CHECKSUM : undefined
  }
  assertCanisterId(principal, text, Inputs.Canister)
  return principal
}

/**
 * Canister IDs are opaque principals (class byte 0x01); user principals (0x02), the anonymous
 * principal (0x04) and the management canister cannot hold snapshots.
 * @see https://internetcomputer.org/docs/references/ic-interface-spec/#principal
 */
function assertCanisterId(principal: Principal, shown: string, input: string): void {
  const bytes = principal.toUint8Array()
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0x01) {
    throw new InputError(input, 'a canister ID (user principals, the anonymous principal and aaaaa-aa are not canisters)', shown)
  }
}

/** Groups of at most five base32 characters separated by dashes, as principals are written. */
function looksLikePrincipal(text: string): boolean {
  return /^[a-z2-7]{5}(-[a-z2-7]{1,5})+$/.test(text)
}

/** dfx records its own helper canisters (e.g. `__Candid_UI`) next to the project's. */
function isToolInternal(name: string): boolean {
  return name.startsWith('__')
}

interface IdEntry {
  id: string
  file: string
}

class ProjectIdMap {
  constructor(
    private readonly entries: Map<string, IdEntry>,
    private readonly environment: string,
    private readonly lookedIn: string[]
  ) {}

  names(): IterableIterator<string> {
    return this.entries.keys()
  }

  has(name: string): boolean {
    return this.entries.has(name)
  }

  resolve(name: string): ResolvedCanister {
    const entry = this.entries.get(name)
    if (entry === undefined) throw this.unknownNameError(name)
    let principal: Principal
    try {
      principal = Principal.fromText(entry.id)
    } catch {
      throw new InputError(Inputs.Canister, `resolvable to a valid principal; ${entry.file} maps '${name}' to an invalid one`, entry.id)
    }
    assertCanisterId(principal, `${entry.id} (from ${entry.file})`, Inputs.Canister)
    return { canisterId: principal.toText(), principal, name, source: entry.file }
  }

  unknownNameError(name: string): SnapshotActionError {
    const known = [...this.entries.keys()].sort()
    if (known.length === 0) return this.noCanistersError(name)
    return new UnknownCanisterError(
      `Input '${Inputs.Canister}': '${name}' is neither a principal nor a canister of this project on '${this.environment}'. ` +
        `Known canisters: ${known.join(', ')} (from ${[...new Set([...this.entries.values()].map((e) => e.file))].join(', ')}).`
    )
  }

  noCanistersError(name?: string): SnapshotActionError {
    const subject = name === undefined ? `'${ALL_CANISTERS}' found no canisters` : `'${name}' is not a principal and no canister names are known`
    return new UnknownCanisterError(
      `Input '${Inputs.Canister}': ${subject} for '${this.environment}' (looked in ${this.lookedIn.join(', ')}). ` +
        `Run from the project root, set 'canister-ids', or give principals.`
    )
  }
}

/** Names resolve through `canister-ids` or the ID files of a named environment. */
function namesAreKnowable(options: ResolveCanistersOptions): boolean {
  return options.canisterIdsFile !== undefined || idEnvironment(options) !== undefined
}

function idEnvironment(options: ResolveCanistersOptions): string | undefined {
  return options.environment ?? (isUrl(options.network) ? undefined : options.network)
}

async function loadIdMap(options: ResolveCanistersOptions): Promise<ProjectIdMap> {
  const environment = idEnvironment(options)
  if (options.canisterIdsFile !== undefined) {
    const file = await readExplicitIdFile(options.canisterIdsFile, options.projectRoot, environment)
    return new ProjectIdMap(mergeIdFiles([file]), environment ?? options.network, [file.file])
  }
  if (environment === undefined) {
    throw new InputError(
      Inputs.Canister,
      "principals when 'network' is a URL, unless 'canister-ids' names the file that maps names to principals",
      options.refs.join(' ')
    )
  }
  const files = await readProjectIdFiles(options.projectRoot, environment)
  const lookedIn = projectIdFilePaths(options.projectRoot, environment).map((p) => path.relative(options.projectRoot, p.path))
  return new ProjectIdMap(mergeIdFiles(files), environment, lookedIn)
}

/** dfx and icp-cli files may both exist during a migration; they must agree. */
function mergeIdFiles(files: CanisterIdFile[]): Map<string, IdEntry> {
  const merged = new Map<string, IdEntry>()
  for (const { file, ids } of files) {
    for (const [name, id] of ids) {
      const existing = merged.get(name)
      if (existing === undefined) merged.set(name, { id, file })
      else if (existing.id !== id) {
        throw new InputError(
          Inputs.Canister,
          `unambiguous: ${existing.file} maps '${name}' to ${existing.id} but ${file} maps it to ${id}; fix the stale file or set 'canister-ids'`
        )
      }
    }
  }
  return merged
}

function refuseDuplicates(resolved: readonly ResolvedCanister[]): void {
  const seen = new Map<string, ResolvedCanister>()
  for (const canister of resolved) {
    const first = seen.get(canister.canisterId)
    if (first !== undefined) {
      const label = (c: ResolvedCanister) => c.name ?? c.canisterId
      throw new InputError(
        Inputs.Canister,
        `a list without repeats; '${label(first)}' and '${label(canister)}' are both ${canister.canisterId}`
      )
    }
    seen.set(canister.canisterId, canister)
  }
}

function isUrl(network: string): boolean {
  return /^https?:\/\//i.test(network)
}

/** A name that is not in the project's ID files; the message lists the names that are. */
export class UnknownCanisterError extends SnapshotActionError {
  override name = 'UnknownCanisterError'
  readonly input = Inputs.Canister
}
