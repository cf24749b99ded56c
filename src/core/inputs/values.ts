/**
 * The one set of value rules every input is parsed with, whichever operation reads it and
 * whichever front end (action or CLI) supplies it. Each error names the input and the accepted form.
 */
import { InputError } from '../errors.js'
import { parseSnapshotId, type SnapshotId } from '../snapshot-id.js'

/** Returns the raw input, '' when unset: `core.getInput` in the action, the options in the CLI. */
export type ReadInput = (name: string) => string

/**
 * YAML 1.2 core-schema booleans, the rule `core.getBooleanInput` applies: `true | True | TRUE`
 * and `false | False | FALSE`. Anything else, `yes` and `tRuE` included, is an error rather than
 * a guess.
 */
export function parseBoolean(raw: string, input: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  if (/^(true|True|TRUE)$/.test(raw)) return true
  if (/^(false|False|FALSE)$/.test(raw)) return false
  throw new InputError(input, "'true' or 'false'", raw)
}

/** Digits only: `1.5`, `1e2`, `0x10` and signs are refused rather than rounded or read as another base. */
export function parseWholeNumber(raw: string, input: string, fallback: number, max: number, unit?: string): number {
  if (raw === '') return fallback
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN
  if (!(n >= 1 && n <= max)) throw new InputError(input, `an integer from 1 to ${max}${unit === undefined ? '' : ` (${unit})`}`, raw)
  return n
}

/** Items separated by newlines, commas or spaces (how YAML block scalars and shell lists both read). */
export function splitList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((r) => r !== '')
}

export function parseIdList(raw: string, input: string): SnapshotId[] {
  return splitList(raw).map((id) => parseSnapshotId(id, input))
}

/** A path the file system can take: set, and without NUL (which Node refuses deep inside a call). */
export function parsePath(raw: string, input: string, accepted: string): string {
  if (raw === '' || raw.includes('\0')) throw new InputError(input, accepted, raw === '' ? undefined : raw)
  return raw
}

/**
 * An input an operation does not use must be empty, so a typo in `operation` cannot go unnoticed.
 * The value is not echoed: some of these inputs are secrets.
 */
export function forbid(read: ReadInput, input: string, operation: string, hint = 'it does not use it'): void {
  if (read(input).trim() !== '') throw new InputError(input, `empty for 'operation: ${operation}' (${hint})`)
}
