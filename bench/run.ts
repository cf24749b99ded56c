/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process, one after another, so one
 * benchmark's garbage and JIT state do not skew the next. Each prints its own markdown table.
 */
import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort()
let failed = 0
for (const file of files) {
  process.stdout.write(`\n### ${file}\n\n`)
  const code = await new Promise<number>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', join(here, file)], { timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 }, (error) =>
      resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : 1)
    )
    child.stdout?.pipe(process.stdout)
    child.stderr?.pipe(process.stderr)
  })
  if (code !== 0) {
    failed++
    process.stderr.write(`${file} failed with exit code ${code}\n`)
  }
}
process.exit(failed === 0 ? 0 : 1)
