/**
 * age keys checked by age-encryption's own parsers (`Encrypter.addRecipient`,
 * `Decrypter.addIdentity`) before anything is sent, so a typo in a key fails the step at once
 * instead of after a whole snapshot has been downloaded. The library's messages name neither the
 * input nor the entry (and a bech32 checksum error quotes the whole key), so each is mapped to a
 * reason of its own; secret keys are named by their position only.
 */
import { Inputs } from '../../constants.js'
import { InputError } from '../errors.js'
import { loadAge } from './encryption.js'

const RECIPIENTS = 'age public keys (age1…, from `age-keygen -y`)'
const IDENTITIES = 'age secret keys (AGE-SECRET-KEY-1…, the content of an `age-keygen` key file)'

export async function checkRecipients(recipients: readonly string[]): Promise<void> {
  await checkEach(recipients, Inputs.EncryptRecipients, RECIPIENTS, false, (age, key) => new age.Encrypter().addRecipient(key))
}

export async function checkIdentities(identities: readonly string[]): Promise<void> {
  await checkEach(identities, Inputs.DecryptIdentity, IDENTITIES, true, (age, key) => new age.Decrypter().addIdentity(key))
}

/** Parses each key with age-encryption (loaded only when there is one); the first refusal names its entry. */
async function checkEach(
  keys: readonly string[],
  input: string,
  accepted: string,
  secret: boolean,
  parse: (age: Awaited<ReturnType<typeof loadAge>>, key: string) => void
): Promise<void> {
  if (keys.length === 0) return
  const age = await loadAge()
  keys.forEach((key, index) => {
    try {
      parse(age, key)
    } catch (error: unknown) {
      const hidden = secret ? ' (the value is not shown: it is a secret)' : ''
      throw new InputError(input, `${accepted}; entry ${index + 1} is not one: ${reason(error, key, secret)}${hidden}`)
    }
  })
}

/** Why age refused a key, in words that never quote a secret key (nor a character of it). */
function reason(error: unknown, key: string, secret: boolean): string {
  const message = error instanceof Error ? error.message : String(error)
  const letter = /^Unknown letter:? "(.)"/.exec(message)
  if (letter !== null) return secret ? 'a character outside the bech32 alphabet' : `bad character '${letter[1]}'`
  if (/unrecognized recipient type/.test(message)) {
    return key.startsWith('ssh-') ? 'an SSH key (age-encryption reads native age1… keys only)' : "it does not start with 'age1'"
  }
  if (/unrecognized identity type/.test(message)) return "it does not start with 'AGE-SECRET-KEY-1' or 'AGE-SECRET-KEY-PQ-1'"
  if (/Invalid checksum/.test(message)) return 'its checksum does not match (a typo, or the key is cut short)'
  if (/mixed-case|lowercase or uppercase/.test(message)) return 'it mixes upper and lower case'
  if (/string length|at least 6 characters|exceeds limit/.test(message)) return 'it is too short or too long'
  if (/Letter "1" must be present/.test(message)) return "it lacks the '1' that ends the prefix"
  if (/invalid (recipient|identity)/.test(message)) return 'it decodes, but to a key of the wrong type or length'
  return 'age-encryption cannot parse it'
}
