/** The action's inputs: raw, untrimmed (the PEM keeps its lines), secrets masked before any is read. */
import * as core from '@actions/core'
import { SecretInputs } from '../constants.js'
import type { ReadInput } from '../core/inputs/values.js'

export const readInput: ReadInput = (name) => core.getInput(name, { trimWhitespace: false })

/** Masks the identity and its password before anything else reads or logs them. */
export function maskSecrets(): void {
  for (const name of SecretInputs) {
    const value = readInput(name)
    if (value.trim() !== '') core.setSecret(value.trim())
  }
}
