/** The glue's own rules, with `@actions/core` faked: mask first, fail once, no network on bad input. */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '../__fixtures__/core.js'
import { newPem } from './helpers/keys.js'

jest.unstable_mockModule('@actions/core', () => core)
const { run } = await import('../src/action/main.js')
const { runPost } = await import('../src/action/post.js')

function givenInputs(values: Record<string, string>): void {
  core.getInput.mockImplementation((name: string) => values[name] ?? '')
}

beforeEach(() => {
  jest.clearAllMocks()
  core.getState.mockReturnValue('')
})

describe('run', () => {
  it('masks the identity and its password before reading any other input', async () => {
    const pem = newPem()
    givenInputs({ canister: 'rwlgt-iiaaa-aaaaa-aaaaa-cai', identity: `${pem}\n`, 'identity-password': 'hunter2-but-longer', stop: 'maybe' })
    await run()
    expect(core.setSecret).toHaveBeenCalledWith(pem.trim())
    expect(core.setSecret).toHaveBeenCalledWith('hunter2-but-longer')
    const firstOther = core.getInput.mock.calls.findIndex(([name]) => name !== 'identity' && name !== 'identity-password')
    expect(core.setSecret.mock.invocationCallOrder.at(-1)).toBeLessThan(core.getInput.mock.invocationCallOrder[firstOther] ?? 0)
  })

  it('fails once with the input error and sets no outputs', async () => {
    givenInputs({ canister: 'rwlgt-iiaaa-aaaaa-aaaaa-cai', identity: newPem(), operation: 'explode' })
    await run()
    expect(core.setFailed).toHaveBeenCalledTimes(1)
    expect(core.setFailed).toHaveBeenCalledWith("Input 'operation' must be one of snapshot, rollback, restore, list, delete, prune, download, upload, got 'explode'.")
    expect(core.setOutput).not.toHaveBeenCalled()
    expect(core.saveState).toHaveBeenCalledWith('is-post', 'true')
  })
})

describe('runPost', () => {
  it('does nothing, not even parsing inputs, when no canister is pending', async () => {
    givenInputs({})
    await runPost()
    expect(core.info).toHaveBeenCalledWith('No canister was left stopped by this step.')
    expect(core.getInput.mock.calls.map(([name]) => name)).not.toContain('canister')
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(core.warning).not.toHaveBeenCalled()
  })

  it('warns instead of failing when it cannot restart', async () => {
    core.getState.mockImplementation((key: string) => (key === 'pending-restart' ? '["rwlgt-iiaaa-aaaaa-aaaaa-cai"]' : ''))
    givenInputs({ canister: 'rwlgt-iiaaa-aaaaa-aaaaa-cai', identity: 'not a pem' })
    await runPost()
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(core.warning).toHaveBeenLastCalledWith(expect.stringMatching(/^Could not restart rwlgt-iiaaa-aaaaa-aaaaa-cai: Input 'identity' must be/))
  })
})
