/** The fault-matrix table's place in `docs/reliability.md`, between two HTML comment markers. */
import { fileURLToPath } from 'node:url'
import { renderFaultTable, TABLE_END, TABLE_START } from './fault-cases.js'

export const RELIABILITY_DOC = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url))

/** The table as the doc holds it, or undefined when the markers are missing. */
export function extractFaultTable(doc: string): string | undefined {
  const start = doc.indexOf(TABLE_START)
  const end = doc.indexOf(TABLE_END)
  if (start < 0 || end < start) return undefined
  return doc.slice(start + TABLE_START.length, end).trim()
}

export function replaceFaultTable(doc: string): string {
  const start = doc.indexOf(TABLE_START)
  const end = doc.indexOf(TABLE_END)
  if (start < 0 || end < start) throw new Error(`${RELIABILITY_DOC} lacks the markers ${TABLE_START} … ${TABLE_END}`)
  return `${doc.slice(0, start + TABLE_START.length)}\n${renderFaultTable()}\n${doc.slice(end)}`
}
