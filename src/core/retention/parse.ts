/**
 * Parsing of the retention inputs (`keep`, `max-age`, `protect`) into a `RetentionPolicy`. Each
 * error names the input and the accepted form.
 */
import { InputError } from '../errors.js'
import { parseSnapshotId } from '../snapshot-id.js'
import { MAX_SNAPSHOTS_PER_CANISTER, type RetentionPolicy } from './policy.js'
import { Inputs } from '../../constants.js'

const UNIT_MS: Readonly<Record<string, number>> = {
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000
}

/** `''` → undefined; otherwise an integer from 1 to 10. */
export function parseKeep(raw: string): number | undefined {
  const text = raw.trim()
  if (text === '') return undefined
  const accepted = `an integer from 1 to ${MAX_SNAPSHOTS_PER_CANISTER} (snapshots kept per canister)`
  if (!/^\d+$/.test(text)) throw new InputError(Inputs.Keep, accepted, raw)
  const keep = Number(text)
  if (keep < 1 || keep > MAX_SNAPSHOTS_PER_CANISTER) throw new InputError(Inputs.Keep, accepted, raw)
  return keep
}

/** `''` → undefined; otherwise a duration such as `14d`, `12h`, `30m` or `1w2d`, in milliseconds. */
export function parseMaxAge(raw: string): number | undefined {
  const text = raw.trim().toLowerCase()
  if (text === '') return undefined
  const accepted = 'a duration such as 14d, 12h, 30m or 1w2d (units w, d, h, m)'
  if (!/^(\d+[wdhm])+$/.test(text)) throw new InputError(Inputs.MaxAge, accepted, raw)
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)([wdhm])/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN)
  }
  if (!Number.isSafeInteger(total) || total <= 0) throw new InputError(Inputs.MaxAge, accepted, raw)
  return total
}

/** Snapshot IDs as dfx and icp-cli print them, separated by newlines, commas or spaces. */
export function parseProtect(raw: string): Set<string> {
  return new Set(
    raw
      .split(/[\s,]+/)
      .filter((token) => token !== '')
      .map((token) => parseSnapshotId(token, 'protect'))
  )
}

export interface RetentionInputs {
  keep: string
  maxAge: string
  protect: string
}

/** Undefined when neither `keep` nor `max-age` is set: without a policy nothing is rotated or pruned. */
export function parseRetentionPolicy(inputs: RetentionInputs): RetentionPolicy | undefined {
  const keep = parseKeep(inputs.keep)
  const maxAgeMs = parseMaxAge(inputs.maxAge)
  const protect = parseProtect(inputs.protect)
  if (keep === undefined && maxAgeMs === undefined) {
    if (protect.size > 0) {
      throw new InputError(Inputs.Protect, "used together with 'keep' or 'max-age' (it only limits what they rotate out)")
    }
    return undefined
  }
  return { keep, maxAgeMs, protect }
}
