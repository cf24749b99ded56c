import { execFile } from 'node:child_process'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `file` (the icp binary, or a script that talks to the emulator) with its own `ICP_HOME` and
 * icp's telemetry, backtraces and colours off. Never rejects: a failure is in `code` (-1 when the
 * process was killed, e.g. by `timeoutMs`), so a test can assert on icp's own words.
 */
export function runWithIcpHome(file: string, args: string[], options: { home: string; timeoutMs: number; cwd?: string }): Promise<RunResult> {
  const env = { ...process.env, ICP_HOME: options.home, DO_NOT_TRACK: '1', RUST_BACKTRACE: '0', NO_COLOR: '1' }
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env, ...(options.cwd === undefined ? {} : { cwd: options.cwd }), timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    )
  })
}
