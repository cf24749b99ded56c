/**
 * Progress lines for long transfers: percent, throughput and ETA, at most one line per interval so
 * a 1 GiB transfer writes a few dozen lines to a workflow log, not thousands.
 */
export interface ProgressSink {
  info(message: string): void
}

export interface ProgressLogOptions {
  /** "Downloading" / "Uploading". */
  label: string
  totalBytes: number
  /** Bytes already present from an earlier, interrupted run; they count towards percent, not speed. */
  resumedBytes?: number
  intervalMs?: number
  now?: () => number
}

export class ProgressLog {
  private readonly intervalMs: number
  private readonly now: () => number
  private readonly startedAt: number
  private lastLoggedAt: number
  private transferred = 0

  constructor(
    private readonly sink: ProgressSink,
    private readonly options: ProgressLogOptions
  ) {
    this.intervalMs = options.intervalMs ?? 5_000
    this.now = options.now ?? Date.now
    this.startedAt = this.now()
    this.lastLoggedAt = this.startedAt
  }

  /** Bytes moved over the network in this run. */
  get bytesTransferred(): number {
    return this.transferred
  }

  get elapsedMs(): number {
    return this.now() - this.startedAt
  }

  add(bytes: number): void {
    this.transferred += bytes
    const at = this.now()
    if (at - this.lastLoggedAt >= this.intervalMs) {
      this.lastLoggedAt = at
      this.sink.info(this.line(at))
    }
  }

  /** The closing line, always written. */
  finish(): void {
    this.sink.info(this.line(this.now()))
  }

  line(at: number): string {
    const { label, totalBytes, resumedBytes = 0 } = this.options
    const done = resumedBytes + this.transferred
    const percent = totalBytes === 0 ? 100 : (done / totalBytes) * 100
    const seconds = Math.max((at - this.startedAt) / 1000, 1e-3)
    const rate = this.transferred / seconds
    const remaining = totalBytes - done
    const eta = rate > 0 ? formatDuration(remaining / rate) : 'unknown'
    return (
      `${label}: ${percent.toFixed(1)}% (${formatBytes(done)} of ${formatBytes(totalBytes)}) ` +
      `at ${(rate / 1e6).toFixed(1)} MB/s, ${remaining <= 0 ? `done in ${formatDuration(seconds)}` : `ETA ${eta}`}`
    )
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`
  const minutes = Math.floor(seconds / 60)
  const rest = Math.round(seconds % 60)
  if (minutes < 60) return `${minutes}m${String(rest).padStart(2, '0')}s`
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`
}
