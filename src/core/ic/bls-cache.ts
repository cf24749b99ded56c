/**
 * A memo over the agent's BLS certificate check.
 *
 * The IC certifies a whole round of state at once, so every response that completes in the same
 * round carries the same signature over the same root hash. The agent still checks that pairing
 * once per response (≈ 36 ms of pure-JS CPU each), which makes a fleet run or a concurrent snapshot
 * transfer CPU-bound on the client. The check is a pure function of (key, signature, message), so
 * remembering its answer is exact: a different tree gives a different message and is checked anew.
 */
import { blsVerify } from '@icp-sdk/core/agent'

type VerifyFn = (pk: Uint8Array, sig: Uint8Array, msg: Uint8Array) => boolean

/** Rounds overlap only briefly, so a small window of recent answers catches every repeat. */
const DEFAULT_CAPACITY = 256

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

export function createCachedBlsVerify(verify: VerifyFn = blsVerify, capacity = DEFAULT_CAPACITY): VerifyFn {
  const answers = new Map<string, boolean>()
  return (pk, sig, msg) => {
    const key = `${hex(pk)}.${hex(sig)}.${hex(msg)}`
    const known = answers.get(key)
    if (known !== undefined) return known
    const answer = verify(pk, sig, msg)
    answers.set(key, answer)
    if (answers.size > capacity) {
      const oldest = answers.keys().next().value
      if (oldest !== undefined) answers.delete(oldest)
    }
    return answer
  }
}
