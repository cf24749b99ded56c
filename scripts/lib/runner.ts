/**
 * Runs the bundled action (`dist/index.js`) the way a GitHub runner does: inputs as `INPUT_*`
 * environment variables, and `GITHUB_OUTPUT`, `GITHUB_STATE` and `GITHUB_STEP_SUMMARY` as files
 * that are parsed afterwards. The post step gets the saved state back as `STATE_*` variables.
 * Used by the demo and by the tests of the bundle.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ACTION_ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url))

export interface StepRun {
  exitCode: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
}

export interface StepOptions {
  inputs: Record<string, string>
  /** State saved by the main step; passing it runs the post step. */
  state?: Record<string, string>
  env?: Record<string, string>
  timeoutMs?: number
}

/** `INPUT_<NAME>`: upper-cased, spaces to underscores, hyphens kept (as the runner does). */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]))
}

export async function runStep({ inputs, state, env = {}, timeoutMs = 120_000 }: StepOptions): Promise<StepRun> {
  const dir = await mkdtemp(path.join(tmpdir(), 'runner-'))
  try {
    const files = { GITHUB_OUTPUT: path.join(dir, 'output'), GITHUB_STATE: path.join(dir, 'state'), GITHUB_STEP_SUMMARY: path.join(dir, 'summary') }
    await Promise.all(Object.values(files).map((f) => writeFile(f, '')))
    const stateEnv = Object.fromEntries(Object.entries(state ?? {}).map(([k, v]) => [`STATE_${k}`, v]))
    const childEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RUNNER_TEMP: dir,
      GITHUB_ACTIONS: 'true',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_REPOSITORY: 'example/canister-snapshot-action',
      GITHUB_RUN_ID: '42',
      GITHUB_SERVER_URL: 'https://github.com',
      ...files,
      ...inputEnv(inputs),
      ...stateEnv,
      ...env
    }
    const { exitCode, stdout, stderr } = await runProcess(process.execPath, [ACTION_ENTRY], { env: childEnv, timeoutMs })
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseCommandFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
      state: parseCommandFile(await readFile(files.GITHUB_STATE, 'utf8')),
      summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8')
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export interface ProcessRun {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * Runs `command` with exactly `env` (nothing inherited: callers pass PATH and what else they mean
 * to), stdin closed, stdout and stderr collected; SIGKILL after `timeoutMs`. Asynchronous, so an
 * emulator in the calling process can answer the child.
 */
export function runProcess(command: string, args: string[], { env, cwd, timeoutMs }: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ exitCode: code ?? -1, stdout, stderr })
    })
  })
}

/**
 * Parses the `name<<delimiter\nvalue\ndelimiter` records `@actions/core` appends to the
 * `GITHUB_OUTPUT` / `GITHUB_STATE` files; a later record of the same name wins, as on the runner.
 */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '')
    if (match === null) continue
    const [, name, delimiter] = match as unknown as [string, string, string]
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '')
    out[name] = value.join('\n')
  }
  return out
}
