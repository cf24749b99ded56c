/**
 * The bundled action and the CLI as processes, and what a test needs around them: the step's
 * one-line failure, a fingerprint of every canister on the emulator (to prove nothing changed),
 * and every file a run wrote (to scan it for secrets).
 */
import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Principal } from '@icp-sdk/core/principal'
import type { Emulator } from '../../emulator/src/index.js'
import { ACTION_ENTRY, inputEnv, parseCommandFile, type StepRun } from '../../scripts/lib/runner.js'

export interface ActionRun extends StepRun {
  /** The raw GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files. */
  files: Record<string, string>
}

/**
 * Runs `dist/index.js` as a runner does, in `workspace` (its working directory, where relative
 * paths land), with the runner files under `workspace/.runner`. Nothing is deleted afterwards, so a
 * test can scan every file the step wrote. `state` runs the post step.
 */
export async function runAction(workspace: string, inputs: Record<string, string>, state: Record<string, string> = {}): Promise<ActionRun> {
  const runner = join(workspace, '.runner')
  await mkdir(runner, { recursive: true })
  const files = { GITHUB_OUTPUT: join(runner, 'output'), GITHUB_STATE: join(runner, 'state'), GITHUB_STEP_SUMMARY: join(runner, 'summary') }
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')))
  const env: Record<string, string> = {
    RUNNER_TEMP: runner,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REPOSITORY: 'example/canister-snapshot-action',
    GITHUB_RUN_ID: '42',
    GITHUB_SERVER_URL: 'https://github.com',
    ...files,
    ...inputEnv(inputs),
    ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
  }
  const run = await runNode(ACTION_ENTRY, [], env, { cwd: workspace })
  const raw = Object.fromEntries(await Promise.all(Object.entries(files).map(async ([k, f]) => [k, await readFile(f, 'utf8')] as const)))
  return {
    ...run,
    outputs: parseCommandFile(raw.GITHUB_OUTPUT ?? ''),
    state: parseCommandFile(raw.GITHUB_STATE ?? ''),
    summary: raw.GITHUB_STEP_SUMMARY ?? '',
    files: raw
  }
}

const CLI_ENTRY = join(process.cwd(), 'dist/cli/index.js')

/** `core.setFailed` prints `::error::<message>`; newlines in it would be escaped as `%0A`. */
export function failureOf(stdout: string): string | undefined {
  const lines = stdout.split('\n').filter((l) => l.startsWith('::error'))
  const last = lines.at(-1)
  return last?.replace(/^::error[^:]*::/, '')
}

/** Everything about the canisters that a step could change. */
export function networkFingerprint(net: Emulator, ids: Principal[]): string {
  return JSON.stringify(
    ids.map((id) => {
      const v = net.canister(id)
      return {
        id: id.toText(),
        status: v?.status,
        version: v?.version.toString(),
        moduleHash: v?.moduleHash === undefined ? undefined : Buffer.from(v.moduleHash).toString('hex'),
        controllers: v?.controllers.map((c) => c.toText()),
        snapshots: v?.snapshots.map((s) => s.id)
      }
    })
  )
}

export interface CliRun {
  exitCode: number
  stdout: string
  stderr: string
}

/** `node dist/cli/index.js …` with only the given environment (plus PATH and HOME). */
export function runCli(args: string[], env: Record<string, string> = {}, options: { cwd?: string; input?: string } = {}): Promise<CliRun> {
  return runNode(CLI_ENTRY, args, { NO_COLOR: '1', ...env }, options)
}

/** Asynchronous on purpose: the emulator answering the child runs in this very process. */
function runNode(entry: string, args: string[], env: Record<string, string>, options: { cwd?: string; input?: string }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [entry, ...args],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, cwd: options.cwd, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
    else child.stdin?.end()
  })
}

/** Every regular file under `dir` (recursively), with its content. */
export async function filesUnder(dir: string): Promise<{ path: string; content: Buffer }[]> {
  const out: { path: string; content: Buffer }[] = []
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[])
  for (const entry of entries) {
    const path = join(dir, entry)
    const info = await stat(path).catch(() => undefined)
    if (info?.isFile() === true) out.push({ path, content: await readFile(path) })
  }
  return out
}
