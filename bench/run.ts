/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process, one after another (so one
 * benchmark's garbage and JIT state do not skew the next), merges the markdown table rows they
 * print into ONE table, prints it, and writes it to docs/benchmarks.md together with the machine it
 * ran on and each benchmark's network (latency) model.
 *
 *   npm run bench                      every benchmark, full size
 *   npm run bench -- --quick           passes --quick on (benchmarks that know it run small sizes)
 *   npm run bench -- --only cli        only bench/cli.bench.ts (and its mainnet-profile run, if it has
 *                                      one); the other benchmarks' lines in docs/benchmarks.md are kept
 *   npm run bench -- --profile mainnet only the mainnet-profile runs (cli, fleet, transfer), about 15
 *                                      minutes; the rest of docs/benchmarks.md is kept
 *
 * After the usual runs, cli, fleet and transfer run again with `--profile mainnet` (the emulator's
 * mainnet pace: update calls 2 s, queries 0.25 s, ingress per block capped); their table goes to
 * its own section of docs/benchmarks.md: what a user would wait for, ours and icp side by side.
 */
import { spawn } from 'node:child_process'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem, type as osType, release } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { linesOf, mergeEntries, parseEntries, type BenchEntry } from './doc-entries.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const DOC = join(HERE, '..', 'docs', 'benchmarks.md')
const TIMEOUT_MS = 30 * 60_000

interface BenchOutput {
  file: string
  exitCode: number
  /** `###` headings: each benchmark states its network model there. */
  headings: string[]
  tables: { header: string[]; rows: string[][] }[]
  /** Non-table lines after the last table (verdict summaries). */
  notes: string[]
}

const args = process.argv.slice(2)
const onlyIndex = args.indexOf('--only')
const only = onlyIndex < 0 ? undefined : args[onlyIndex + 1]
const profileIndex = args.indexOf('--profile')
const profileOnly = profileIndex < 0 ? undefined : args[profileIndex + 1]
if (profileIndex >= 0 && profileOnly !== 'mainnet') {
  process.stderr.write(`--profile must be mainnet, got '${profileOnly ?? ''}'.\n`)
  process.exit(2)
}
const passOn = args.filter((a, i) => a !== '--only' && i !== onlyIndex + 1 && a !== '--profile' && i !== profileIndex + 1)
/** The benchmarks that also run on the mainnet profile. */
const MAINNET_BENCHES = ['cli.bench.ts', 'fleet.bench.ts', 'transfer.bench.ts']
const MAINNET_HEADING = '## Mainnet profile'

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim())
}

/** Reads the markdown a benchmark printed: headings, tables, and the summary lines. */
export function parseBenchOutput(file: string, exitCode: number, stdout: string): BenchOutput {
  const out: BenchOutput = { file, exitCode, headings: [], tables: [], notes: [] }
  let table: { header: string[]; rows: string[][] } | undefined
  for (const line of stdout.split('\n')) {
    if (line.startsWith('#')) out.headings.push(line.replace(/^#+\s*/, ''))
    else if (line.trim().startsWith('|')) {
      const row = cells(line)
      if (table === undefined) {
        table = { header: row, rows: [] }
        out.tables.push(table)
      } else if (!row.every((c) => /^:?-+:?$/.test(c))) table.rows.push(row)
    } else {
      table = undefined
      if (line.trim() !== '' && out.tables.length > 0) out.notes.push(line.trim())
    }
  }
  return out
}

/** One row of the merged table: which benchmark, what was measured, its figures, and its verdict. */
function mergedRows(b: BenchOutput): string[][] {
  const name = b.file.replace(/\.bench\.ts$/, '')
  if (b.tables.length === 0) return [[name, '(no table printed)', `exit code ${b.exitCode}`, b.exitCode === 0 ? '–' : 'failed']]
  return b.tables.flatMap((t) =>
    t.rows.map((row) => {
      // A 'verdict' column, else a column like 'target ≤ 1.5×' that holds the verdict (not 'target' itself).
      const named = t.header.findIndex((h) => /verdict/i.test(h))
      const verdictIndex = named >= 0 ? named : t.header.findIndex((h) => /target/i.test(h) && !/^target$/i.test(h))
      const figures = row
        .map((c, i) => (i === 0 || i === verdictIndex ? undefined : `${t.header[i] ?? ''}: ${c}`))
        .filter((c): c is string => c !== undefined)
      return [name, row[0] ?? '', figures.join('; '), verdictIndex >= 0 ? (row[verdictIndex] ?? '–') : '–']
    })
  )
}

function runBench(file: string, extra: string[] = []): Promise<BenchOutput> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, file), ...passOn, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      process.stderr.write(d)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve(parseBenchOutput(file, code ?? -1, stdout))
    })
  })
}

function machine(): string[] {
  const cpu = cpus()
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length} cores`,
    `- Memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- OS: ${osType()} ${release()}`,
    `- Node.js: ${process.version}`
  ]
}

const files = (await readdir(HERE)).filter((f) => f.endsWith('.bench.ts') && (only === undefined || f.startsWith(only))).sort()
const results: BenchOutput[] = []
if (profileOnly === undefined) {
  for (const file of files) {
    process.stderr.write(`\n=== ${file}\n`)
    results.push(await runBench(file))
  }
}
const mainnetResults: BenchOutput[] = []
for (const file of files.filter((f) => MAINNET_BENCHES.includes(f))) {
  process.stderr.write(`\n=== ${file} --profile mainnet\n`)
  mainnetResults.push(await runBench(file, ['--profile', 'mainnet']))
}

const TABLE_HEADER = ['| benchmark | measurement | figures | verdict |', '|---|---|---|---|']
const rowLine = (r: string[]): string => `| ${r.map((c) => c.replace(/\|/g, '/')).join(' | ')} |`
const tableOf = (rows: string[]): string => [...TABLE_HEADER, ...rows].join('\n')
if (results.length > 0) process.stdout.write(`${tableOf(results.flatMap(mergedRows).map(rowLine))}\n`)
if (mainnetResults.length > 0) process.stdout.write(`\nMainnet profile:\n${tableOf(mainnetResults.flatMap(mergedRows).map(rowLine))}\n`)

/** Each benchmark's network model, as its `###` headings state it. */
const modelLines = (r: BenchOutput): string[] => (r.headings.length > 0 ? r.headings : ['stated in each row of its table']).map((h) => `- \`${r.file}\`: ${h}`)
/** The lines a benchmark printed after its last table. */
const noteLines = (r: BenchOutput): string[] => r.notes.map((n) => `- \`${r.file}\`: ${n.replace(/^- /, '')}`)
/** What this run printed, by benchmark, in the document's form; `exit` words a non-zero exit. */
const entriesOf = (outputs: BenchOutput[], exit: (r: BenchOutput) => string): Map<string, BenchEntry> =>
  new Map(outputs.map((r) => [r.file, { models: modelLines(r), rows: mergedRows(r).map(rowLine), notes: noteLines(r), exits: r.exitCode === 0 ? [] : [exit(r)] }]))
/** A heading and its lines, or nothing when there are none. */
const section = (heading: string, lines: string[]): string[] => (lines.length > 0 ? [heading, '', ...lines, ''] : [])
/** When not every benchmark of a section ran, which lines are whose. */
const partialNote = (fresh: Map<string, BenchEntry>, merged: Map<string, BenchEntry>): string => {
  const kept = [...merged.keys()].filter((f) => !fresh.has(f))
  const names = (fs: string[]): string => fs.map((f) => `\`${f}\``).join(', ')
  return kept.length === 0 ? '' : ` Only ${names([...fresh.keys()])} ran in this run; the lines of ${names(kept)} are kept from earlier runs.`
}

/** The document as it stands: the usual runs' part, and the mainnet-profile section. */
const existing = await readFile(DOC, 'utf8').catch(() => '')
const cut = existing.indexOf(`\n${MAINNET_HEADING}\n`)
const existingMain = cut < 0 ? existing : existing.slice(0, cut + 1)
const existingMainnet = cut < 0 ? '' : existing.slice(cut + 1)
const benches = (await readdir(HERE)).filter((f) => f.endsWith('.bench.ts'))

const MAIN_HEADINGS = { models: 'Network (latency) models', results: 'Results', notes: 'Verdicts', exits: 'Non-zero exits' }
const MAINNET_HEADINGS = { models: 'Models', results: 'Results', notes: 'Notes', exits: 'Non-zero exits' }
const freshMain = entriesOf(results, (r) => `- \`${r.file}\` exited with code ${r.exitCode} (a failed run, or missed targets for benchmarks that exit non-zero on them)`)
const mergedMain = mergeEntries(freshMain, parseEntries(existingMain, MAIN_HEADINGS), (f) => benches.includes(f))
const freshMainnet = entriesOf(mainnetResults, (r) => `- \`${r.file}\` exited with code ${r.exitCode}`)
const mergedMainnet = mergeEntries(freshMainnet, parseEntries(existingMainnet, MAINNET_HEADINGS), (f) => benches.includes(f) && MAINNET_BENCHES.includes(f))

/** What the mainnet-profile figures mean is written by people, beside the benches. */
const mainnetAnalysis = await readFile(join(HERE, 'analysis-mainnet.md'), 'utf8').catch(() => '')
const mainnetSection = (): string =>
  [
    MAINNET_HEADING,
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()}${profileOnly === undefined ? '' : ' (`--profile mainnet`)'}.${partialNote(freshMainnet, mergedMainnet)} The same benchmarks on the emulator's mainnet profile (emulator/README.md, "Network model"): update calls 2 s (about one block per second, two rounds per call), queries and read_state 250 ms, ingress packed into 1 s blocks of at most 4 MiB (2 MiB soft cap), no cap on calls in flight. The times are what a user would wait for on an application subnet that nobody else is using; real subnets under load, the internet and boundary nodes only add to them. The cli and fleet verdicts apply the targets set for the 300 ms model; the transfer rows have none. Ours and \`icp\` 1.5.0 run in the same run.`,
    '',
    ...machine(),
    '',
    '### Models',
    '',
    ...linesOf(mergedMainnet, 'models'),
    '',
    '### Results',
    '',
    tableOf(linesOf(mergedMainnet, 'rows')),
    '',
    ...section('### Notes', linesOf(mergedMainnet, 'notes')),
    ...section('### Non-zero exits', linesOf(mergedMainnet, 'exits')),
    mainnetAnalysis
  ].join('\n')

const failed = [...results, ...mainnetResults].filter((r) => r.exitCode !== 0)
const missed = linesOf(mergedMain, 'rows')
  .map(cells)
  .filter((r) => /miss|below/i.test(r[3] ?? ''))
const main = results.length === 0 ? existingMain : [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString()}${passOn.length > 0 || only !== undefined ? ` with \`${[...(only === undefined ? [] : ['--only', only]), ...passOn].join(' ')}\`` : ''}.${partialNote(freshMain, mergedMain)} Every benchmark runs against the in-repo emulator; each states its network model below. Timings are wall-clock on a machine shared with other work, so small differences are noise.`,
  '',
  '## Machine',
  '',
  ...machine(),
  '',
  '## Network (latency) models',
  '',
  ...linesOf(mergedMain, 'models'),
  '',
  '## Results',
  '',
  tableOf(linesOf(mergedMain, 'rows')),
  '',
  ...section('## Targets missed', missed.map((r) => `- ${r[0]}: ${r[1]}`)),
  ...section('## Verdicts', linesOf(mergedMain, 'notes')),
  ...section('## Non-zero exits', linesOf(mergedMain, 'exits')),
  // The analysis of missed targets is written by people, so it lives beside the benches.
  await readFile(join(HERE, 'analysis.md'), 'utf8')
].join('\n')
const doc = `${main.replace(/\n*$/, '\n')}\n${mainnetResults.length > 0 ? mainnetSection() : existingMainnet}`
await writeFile(DOC, doc.replace(/\n*$/, '\n'))
process.stderr.write(`\nWrote ${DOC}\n`)
process.exit(failed.length === 0 ? 0 : 1)
