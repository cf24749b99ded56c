/**
 * A memo over the agent's BLS certificate check.
 *
 * The IC certifies a whole round of state at once, so every response that completes in the same
 * round carries the same signature over the same root hash. The agent still checks that pairing
 * once per response, which makes a fleet run or a concurrent snapshot transfer CPU-bound on the
 * client. The check is a pure function of (key, signature, message), so remembering its answer is
 * exact: a different tree gives a different message and is checked anew. Responses of one round
 * that arrive while their check is still running wait for that same check.
 *
 * A certificate with a delegation takes two checks: its own signature (new each round) and the
 * delegation's, signed by the root key and the same for every response of the subnet for minutes.
 * Answers are kept by last use, so that one stays however many rounds pass.
 */
export type VerifyFn = (pk: Uint8Array, sig: Uint8Array, msg: Uint8Array) => boolean | Promise<boolean>

/** Rounds overlap only briefly, so a small window of recent answers catches every repeat. */
const DEFAULT_CAPACITY = 256

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

export function createCachedBlsVerify(verify: VerifyFn, capacity = DEFAULT_CAPACITY): (pk: Uint8Array, sig: Uint8Array, msg: Uint8Array) => Promise<boolean> {
  const answers = new Map<string, Promise<boolean>>()
  return (pk, sig, msg) => {
    const key = `${hex(pk)}.${hex(sig)}.${hex(msg)}`
    const known = answers.get(key)
    if (known !== undefined) {
      // Most recently used last: the oldest entry, evicted first, is then the least recently used.
      answers.delete(key)
      answers.set(key, known)
      return known
    }
    // A check that throws is not remembered: the agent fails the certificate, and a later one is checked afresh.
    const answer = Promise.resolve()
      .then(() => verify(pk, sig, msg))
      .catch((error: unknown) => {
        answers.delete(key)
        throw error
      })
    answers.set(key, answer)
    if (answers.size > capacity) {
      const oldest = answers.keys().next().value
      if (oldest !== undefined) answers.delete(oldest)
    }
    return answer
  }
}
