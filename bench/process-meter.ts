/**
 * Runs a command as a whole process and measures what it costs the machine: wall time (spawn to
 * exit), peak RSS and bytes it wrote to disk, the same way for ours (Node) and for `icp` (Rust).
 *
 * The command runs under `sh`, which reports its own I/O counters once it has reaped the command:
 * Linux adds a reaped child's counters to its parent's, so `write_bytes` is exact, including what
 * the command wrote just before it exited (sampling /proc/<pid>/io from outside would miss that),
 * and its CPU time likewise lands in the shell's cutime and cstime.
 * Peak RSS is VmHWM of the command itself, sampled while it runs (monotonic, so the last sample
 * before exit is at most one interval behind).
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

export interface ProcessCost {
  ms: number
  peakRssBytes: number
  /** Bytes the process caused to be written to storage (`write_bytes` in /proc/<pid>/io). */
  diskWriteBytes: number
  /** User and system CPU time of the process. */
  cpuMs: number
  stdout: string
}

const SAMPLE_MS = 25
/**
 * Background the command, tell the parent its pid on fd 3, reap it, then print the shell's counters
 * (now holding the command's) on fd 3: CPU first, before another child's adds to them.
 */
const WRAPPER = [
  '"$@" 3>&- & c=$!; echo "pid $c" >&3; wait $c; s=$?',
  `echo "cpu $(awk '{print $16 + $17}' /proc/$$/stat) $(getconf CLK_TCK)" >&3`,
  'grep -E "^write_bytes" /proc/$$/io >&3; exit $s'
].join('; ')

export function measureProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessCost> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const proc = spawn('sh', ['-c', WRAPPER, 'sh', command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    let peak = 0
    let diskWriteBytes = Number.NaN
    let cpuMs = Number.NaN
    let sample: NodeJS.Timeout | undefined
    createInterface({ input: proc.stdio[3] as Readable }).on('line', (line) => {
      const pid = /^pid (\d+)$/.exec(line)?.[1]
      if (pid !== undefined) {
        sample = setInterval(() => {
          readFile(`/proc/${pid}/status`, 'utf8')
            .then((s) => (peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024)))
            .catch(() => undefined)
        }, SAMPLE_MS)
      }
      const cpu = /^cpu (\d+) (\d+)$/.exec(line)
      if (cpu !== null) cpuMs = (Number(cpu[1]) * 1000) / Number(cpu[2])
      const written = /^write_bytes:\s+(\d+)$/.exec(line)?.[1]
      if (written !== undefined) diskWriteBytes = Number(written)
    })
    proc.on('error', reject)
    proc.on('close', (code) => {
      clearInterval(sample)
      const ms = performance.now() - started
      if (code !== 0) return reject(new Error(`${command} ${args.slice(0, 4).join(' ')} exited with ${code}: ${stderr.slice(-2000)}`))
      resolve({ ms, peakRssBytes: peak, diskWriteBytes, cpuMs, stdout })
    })
  })
}
