/** The action's StateStore: `core.saveState` values reach the post step of the same job. */
import * as core from '@actions/core'
import type { StateStore } from '../core/state.js'

export const actionState: StateStore = {
  get: (key) => core.getState(key) || undefined,
  set: (key, value) => core.saveState(key, value)
}

/** Set by the main step; only the post step of the same action can read it. */
export const IS_POST_STATE = 'is-post'
