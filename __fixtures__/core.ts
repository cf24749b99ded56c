/** Typed fakes of the `@actions/core` functions the glue uses, for `jest.unstable_mockModule`. */
import { jest } from '@jest/globals'
import type * as core from '@actions/core'

export const getInput = jest.fn<typeof core.getInput>()
export const setSecret = jest.fn<typeof core.setSecret>()
export const setOutput = jest.fn<typeof core.setOutput>()
export const setFailed = jest.fn<typeof core.setFailed>()
export const saveState = jest.fn<typeof core.saveState>()
export const getState = jest.fn<typeof core.getState>()
export const debug = jest.fn<typeof core.debug>()
export const info = jest.fn<typeof core.info>()
export const warning = jest.fn<typeof core.warning>()
export const error = jest.fn<typeof core.error>()
export const group = jest.fn(<T>(_name: string, fn: () => Promise<T>): Promise<T> => fn())
export const summary = {
  addHeading: jest.fn(() => summary),
  addTable: jest.fn(() => summary),
  addRaw: jest.fn(() => summary),
  write: jest.fn(() => Promise.resolve(summary))
}
