/**
 * The emulator in a process of its own, as `npm run emulator` starts it, so a benchmark's client
 * does not share a CPU thread with the network it measures (as on the real IC).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

const STARTUP_TIMEOUT_MS = 60_000

export interface EmulatorProcess {
  child: ChildProcess
  url: string
  rootKey: Uint8Array
  close(): Promise<void>
}

export interface EmulatorProcessOptions {
  seed: string
  latencyMs?: number
  /** `mainnet`: the emulator's mainnet profile (its update latency unless `latencyMs` is given). */
  profile?: 'mainnet'
  /** Extra Node flags for the emulator, e.g. `--cpu-prof`. */
  nodeArgs?: string[]
}

export async function startEmulatorProcess({ seed, latencyMs, profile, nodeArgs = [] }: EmulatorProcessOptions): Promise<EmulatorProcess> {
  const pace = [...(profile === undefined ? [] : ['--profile', profile]), ...(latencyMs === undefined && profile !== undefined ? [] : ['--latency-ms', String(latencyMs ?? 0)])]
  const args = [...nodeArgs, '--import', 'tsx', 'emulator/src/cli.ts', '--port', '0', '--seed', seed, ...pace]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  let url: string | undefined
  let rootKeyHex: string | undefined
  const timer = setTimeout(() => child.kill('SIGTERM'), STARTUP_TIMEOUT_MS)
  for await (const line of lines) {
    if (line.startsWith('URL=')) url = line.slice(4)
    if (line.startsWith('ROOT_KEY=')) rootKeyHex = line.slice(9)
    if (url !== undefined && rootKeyHex !== undefined) break
  }
  clearTimeout(timer)
  if (url === undefined || rootKeyHex === undefined) throw new Error('The emulator exited before printing URL= and ROOT_KEY=')
  child.stdout?.resume()
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return { child, url, rootKey: Uint8Array.from(Buffer.from(rootKeyHex, 'hex')), close }
}
