/**
 * Turns a command result into what people and later steps read: step outputs, summary rows, JSON
 * for `--json`, and the single failure message. Pure, so the action and the CLI agree.
 */
import type { CanisterResult, CommandResult } from './commands/types.js'

export interface StepOutputs {
  'snapshot-id': string
  'snapshot-ids': string
  snapshots: string
  'taken-at': string
  'total-size': string
  'module-hash': string
  principal: string
}

export function toOutputs(result: CommandResult): StepOutputs {
  const first = result.results[0]
  const ids: Record<string, string> = {}
  for (const r of result.results) if (r.snapshotId !== undefined) ids[r.canisterId] = r.snapshotId
  const snapshots =
    result.operation === 'list'
      ? result.results.flatMap((r) => (r.snapshots ?? []).map((s) => ({ canister: r.canisterId, id: s.id, takenAt: isoOf(s.takenAtNs), totalSize: Number(s.totalSize) })))
      : []
  const total = result.results.reduce((sum, r) => sum + (r.totalSize ?? 0n), 0n)
  return {
    'snapshot-id': first?.snapshotId ?? '',
    'snapshot-ids': JSON.stringify(ids),
    snapshots: JSON.stringify(snapshots),
    'taken-at': first?.takenAt ?? '',
    'total-size': total.toString(),
    'module-hash': first?.moduleHash ?? '',
    principal: result.principal
  }
}

/** A one-line message naming every failed canister, or undefined when all succeeded. */
export function failureMessage(result: CommandResult): string | undefined {
  const failed = result.results.filter((r) => r.outcome === 'failed')
  if (failed.length === 0) return undefined
  if (failed.length === 1 && result.results.length === 1) return failed[0]?.error ?? 'failed'
  return `${result.operation} failed for ${failed.length} of ${result.results.length} canister(s): ${failed.map((r) => `${r.canisterId}: ${r.error ?? 'failed'}`).join(' | ')}`
}

export const SUMMARY_HEADER = ['Canister', 'Operation', 'Snapshot ID', 'Size', 'Taken at', 'Downtime', 'Result'] as const

export function summaryRows(result: CommandResult): string[][] {
  return result.results.flatMap((r) => {
    if (r.operation === 'list' && r.snapshots !== undefined && r.snapshots.length > 0) {
      return r.snapshots.map((s) => [label(r), 'list', s.id, formatBytes(s.totalSize), isoOf(s.takenAtNs), '', 'ok'])
    }
    return [[label(r), r.operation, r.snapshotId ?? '', r.totalSize === undefined ? '' : formatBytes(r.totalSize), r.takenAt ?? '', formatDowntime(r), resultText(r)]]
  })
}

function label(r: CanisterResult): string {
  return r.name === undefined ? r.canisterId : `${r.name} (${r.canisterId})`
}

function resultText(r: CanisterResult): string {
  if (r.outcome === 'failed') return `failed: ${r.error ?? ''}`
  if (r.outcome === 'ok') return r.safetySnapshotId === undefined ? (r.note ?? 'ok') : `ok (safety snapshot ${r.safetySnapshotId})`
  return `${r.outcome}${r.note === undefined ? '' : `: ${r.note}`}`
}

function formatDowntime(r: CanisterResult): string {
  if (r.downtimeMs === undefined) return ''
  return r.downtimeMs === 0 ? 'none' : `${(r.downtimeMs / 1000).toFixed(1)} s`
}

export function formatBytes(bytes: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = Number(bytes)
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`
}

/** JSON-safe form of a result (bigints become numbers or strings). */
export function toJson(result: CommandResult): unknown {
  return JSON.parse(
    JSON.stringify(result, (key, value: unknown) => {
      if (typeof value === 'bigint') return key === 'takenAtNs' ? value.toString() : Number(value)
      return value
    })
  )
}

function isoOf(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString()
}
