/**
 * Readers for the files in which dfx and icp-cli record which principal each project canister has
 * on a network. All of them map a canister name to a principal:
 *
 * - dfx, persistent networks (`ic`): `<root>/canister_ids.json`, `{ "<name>": { "<network>": "<principal>" } }`.
 * - dfx, local networks: `<root>/.dfx/<network>/canister_ids.json`, same shape.
 * - icp-cli: `<root>/.icp/{data,cache}/mappings/<environment>.ids.json`, `{ "<name>": "<principal>" }`;
 *   `data` for connected networks such as `ic`, `cache` for networks icp-cli manages such as `local`
 *   (icp-cli `crates/icp/src/store_id.rs`, checked against `icp canister link` of icp 1.5.0).
 * - an explicit `canister-ids` file in either shape.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { InputError, getErrorMessage } from '../errors.js'
import { Inputs } from '../../constants.js'

/** Names and principal texts from one file, for one network. */
export interface CanisterIdFile {
  /** Path as shown to the user (relative to the project root when inside it). */
  file: string
  ids: Map<string, string>
}

/** The files dfx and icp-cli would consult for `environment`, in order of precedence. */
export function projectIdFilePaths(projectRoot: string, environment: string): { path: string; shape: 'dfx' | 'icp' }[] {
  return [
    { path: path.join(projectRoot, '.icp', 'data', 'mappings', `${environment}.ids.json`), shape: 'icp' },
    { path: path.join(projectRoot, '.icp', 'cache', 'mappings', `${environment}.ids.json`), shape: 'icp' },
    { path: path.join(projectRoot, 'canister_ids.json'), shape: 'dfx' },
    { path: path.join(projectRoot, '.dfx', environment, 'canister_ids.json'), shape: 'dfx' }
  ]
}

/** Reads every project ID file that exists for `environment`; missing files are skipped. */
export async function readProjectIdFiles(projectRoot: string, environment: string): Promise<CanisterIdFile[]> {
  const found: CanisterIdFile[] = []
  for (const candidate of projectIdFilePaths(projectRoot, environment)) {
    const json = await readJsonIfExists(candidate.path, projectRoot, Inputs.Canister)
    if (json === undefined) continue
    found.push({ file: displayPath(candidate.path, projectRoot), ids: idsFromJson(json, environment, candidate.path, projectRoot, Inputs.Canister) })
  }
  return found
}

/** Reads an explicit `canister-ids` file (dfx or icp-cli shape); it must exist. */
export async function readExplicitIdFile(file: string, projectRoot: string, environment: string | undefined): Promise<CanisterIdFile> {
  const absolute = path.resolve(projectRoot, file)
  const json = await readJsonIfExists(absolute, projectRoot, 'canister-ids')
  if (json === undefined) {
    throw new InputError(Inputs.CanisterIds, 'the path of an existing canister_ids.json (dfx) or <environment>.ids.json (icp-cli) file', file)
  }
  return { file: displayPath(absolute, projectRoot), ids: idsFromJson(json, environment, absolute, projectRoot, 'canister-ids') }
}

/**
 * Accepts both shapes entry by entry: a string is a principal (icp-cli), an object maps network
 * names to principals (dfx). dfx entries without the network are canisters not created there.
 */
function idsFromJson(json: unknown, environment: string | undefined, file: string, projectRoot: string, input: string): Map<string, string> {
  const shown = displayPath(file, projectRoot)
  if (!isRecord(json)) throw malformed(input, shown, 'the top level is not a JSON object')
  const ids = new Map<string, string>()
  for (const [name, entry] of Object.entries(json)) {
    if (typeof entry === 'string') {
      ids.set(name, entry)
    } else if (isRecord(entry)) {
      if (environment === undefined) {
        throw new InputError(
          input,
          `a { "name": "principal" } file when 'network' is a URL, since ${shown} maps "${name}" per network name`
        )
      }
      const id = entry[environment]
      if (id === undefined) continue
      if (typeof id !== 'string') throw malformed(input, shown, `"${name}"."${environment}" is not a string`)
      ids.set(name, id)
    } else {
      throw malformed(input, shown, `"${name}" is neither a principal nor an object of network → principal`)
    }
  }
  return ids
}

async function readJsonIfExists(file: string, projectRoot: string, input: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error: unknown) {
    if (isNodeError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined
    throw new InputError(input, 'resolvable from readable canister ID files', `${displayPath(file, projectRoot)}: ${getErrorMessage(error)}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error: unknown) {
    throw malformed(input, displayPath(file, projectRoot), getErrorMessage(error))
  }
}

function malformed(input: string, file: string, detail: string): InputError {
  return new InputError(
    input,
    `resolvable from valid canister ID files ({ "name": "principal" } or { "name": { "network": "principal" } }); ${file} is malformed: ${detail}`
  )
}

function displayPath(file: string, projectRoot: string): string {
  const relative = path.relative(projectRoot, file)
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Structural, not `instanceof Error`: errors from another realm (e.g. a test VM) still count. */
function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return typeof error === 'object' && error !== null && 'code' in error
}
