/**
 * docs/benchmarks.md by benchmark: each one's model lines, result rows, notes and non-zero exit, so
 * that a run of some benchmarks (`--only`) replaces their lines and keeps every other benchmark's
 * from the document as it stands, instead of leaving them out.
 */

export interface BenchEntry {
  models: string[]
  /** Rows of the merged results table, as markdown lines. */
  rows: string[]
  notes: string[]
  exits: string[]
}

/** The headings a section's parts stand under (the usual runs and the mainnet profile name them differently). */
export interface SectionHeadings {
  models: string
  results: string
  notes: string
  exits: string
}

export const emptyEntry = (): BenchEntry => ({ models: [], rows: [], notes: [], exits: [] })

/** Reads the per-benchmark lines back from a section of the document (lines under other headings are ignored). */
export function parseEntries(text: string, headings: SectionHeadings): Map<string, BenchEntry> {
  const entries = new Map<string, BenchEntry>()
  const entry = (file: string): BenchEntry => {
    let e = entries.get(file)
    if (e === undefined) {
      e = emptyEntry()
      entries.set(file, e)
    }
    return e
  }
  let part: keyof BenchEntry | undefined
  for (const line of text.split('\n')) {
    const heading = /^#+\s+(.*)$/.exec(line)?.[1]
    if (heading !== undefined) {
      part = heading === headings.models ? 'models' : heading === headings.results ? 'rows' : heading === headings.notes ? 'notes' : heading === headings.exits ? 'exits' : undefined
      continue
    }
    if (part === 'rows') {
      const name = /^\|\s*([^|]+?)\s*\|/.exec(line)?.[1]
      if (name === undefined || name === 'benchmark' || /^-+$/.test(name)) continue
      entry(`${name}.bench.ts`).rows.push(line)
    } else if (part !== undefined) {
      const file = /^- `([^`]+\.bench\.ts)`/.exec(line)?.[1]
      if (file !== undefined) entry(file)[part].push(line)
    }
  }
  return entries
}

/**
 * The fresh entries, and the existing ones of benchmarks that did not run this time but still
 * exist (a deleted benchmark's lines go), in file order.
 */
export function mergeEntries(fresh: Map<string, BenchEntry>, existing: Map<string, BenchEntry>, stillThere: (file: string) => boolean): Map<string, BenchEntry> {
  const kept = [...existing].filter(([file]) => !fresh.has(file) && stillThere(file))
  return new Map([...fresh, ...kept].sort(([a], [b]) => a.localeCompare(b)))
}

/** Every entry's lines of one part, in order. */
export const linesOf = (entries: Map<string, BenchEntry>, part: keyof BenchEntry): string[] => [...entries.values()].flatMap((e) => e[part])
