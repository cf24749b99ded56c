/**
 * The bundled action run by GitHub's own `@github/local-action` (beside our hand-made runner in
 * scripts/lib/runner.ts, used by dist.int.test.ts): a snapshot, then a rollback to it, against the
 * emulator. Inputs come from a .env file as local-action reads them; outputs from GITHUB_OUTPUT.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import { inputEnv, parseCommandFile, runProcess } from '../scripts/lib/runner.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'

const REPO = process.cwd()
const LOCAL_ACTION = path.join(REPO, 'node_modules/@github/local-action/bin/local-action.js')
const ENTRY = '__fixtures__/local-action/main.ts'

let t: TestNetwork
let work: string

beforeAll(async () => {
  t = await startTestNetwork()
  work = await mkdtemp(path.join(tmpdir(), 'local-action-'))
})
afterAll(async () => {
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

interface LocalRun {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
}

/** A double-quoted dotenv value (URLs, hex, principals: nothing to escape but a quote). */
const quoted = (value: string): string => `"${value.replace(/"/g, '\\"')}"`

/** `local-action run . <entry> <.env>` as a process; the emulator answers from this one. */
async function localAction(name: string, { identity, ...inputs }: Record<string, string>): Promise<LocalRun> {
  const output = path.join(work, `${name}.output`)
  const files = { GITHUB_OUTPUT: output, GITHUB_STATE: path.join(work, `${name}.state`), GITHUB_STEP_SUMMARY: path.join(work, `${name}.summary`) }
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')))
  const vars = { ...inputEnv(inputs), ...files, GITHUB_ACTIONS: 'true', RUNNER_TEMP: work, GITHUB_REPOSITORY: 'example/canister-snapshot-action', GITHUB_RUN_ID: '7' }
  const dotenv = path.join(work, `${name}.env`)
  await writeFile(dotenv, Object.entries(vars).map(([k, v]) => `${k}=${quoted(v)}`).join('\n') + '\n', { mode: 0o600 })
  // A bare environment: no NODE_OPTIONS from jest, nothing of this process's npm run. The key
  // reaches the action as a secret does on a runner, in the environment: never in a file.
  const { exitCode: code, stdout, stderr } = await runProcess(process.execPath, [LOCAL_ACTION, 'run', REPO, ENTRY, dotenv], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, NO_COLOR: '1', DO_NOT_TRACK: '1', ...inputEnv({ identity: identity ?? '' }) },
    timeoutMs: 110_000
  })
  return { code, stdout, stderr, outputs: parseCommandFile(await readFile(output, 'utf8')) }
}

const inputs = (id: Principal, extra: Record<string, string> = {}): Record<string, string> => ({
  canister: id.toText(),
  network: t.net.url,
  'root-key': t.net.rootKeyHex,
  identity: t.pem,
  ...extra
})

describe('dist/index.js under @github/local-action', () => {
  it('takes a snapshot, then rolls back to it: outputs and the canister as they should be', async () => {
    const id = await t.createCounter()
    const counter = t.counter(id)
    await counter.inc()
    const atSnapshot = await counter.get()

    const snap = await localAction('snapshot', inputs(id))
    expect({ code: snap.code, stderr: snap.stderr }).toEqual({ code: 0, stderr: '' })
    expect(snap.stdout).toContain('Running Action')
    const [taken] = (t.net.canister(id)?.snapshots ?? []).map((s) => s.id)
    expect(taken).toMatch(/^[0-9a-f]+$/)
    expect(snap.outputs['snapshot-id']).toBe(taken)
    expect(snap.outputs['module-hash']).toBe(t.moduleHashOf(id))
    expect(t.net.canister(id)?.status).toBe('running')

    await counter.inc()
    await counter.inc()
    expect(await counter.get()).not.toBe(atSnapshot)

    const back = await localAction('rollback', inputs(id, { operation: 'rollback', 'snapshot-id': taken ?? '' }))
    expect({ code: back.code, stderr: back.stderr }).toEqual({ code: 0, stderr: '' })
    expect(back.outputs['module-hash']).toBe(t.moduleHashOf(id))
    expect(await counter.get()).toBe(atSnapshot)
    expect(t.net.canister(id)?.status).toBe('running')
    // The rollback kept a safety snapshot of the state it replaced, beside the one it loaded.
    expect((t.net.canister(id)?.snapshots ?? []).map((s) => s.id)).toHaveLength(2)
    // `::add-mask::` hands the key to the runner's masker (local-action only echoes it): nowhere else.
    const keyLine = t.pem.split('\n')[1] ?? ''
    expect(keyLine.length).toBeGreaterThan(16)
    for (const name of ['snapshot', 'rollback']) expect(await readFile(path.join(work, `${name}.env`), 'utf8')).not.toContain(keyLine)
    for (const run of [snap, back]) {
      expect(run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(keyLine)
      expect(Object.values(run.outputs).join('\n')).not.toContain(keyLine)
    }
  })
})
