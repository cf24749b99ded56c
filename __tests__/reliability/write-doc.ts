/**
 * Rewrites the fault-matrix table in `docs/reliability.md` from `fault-cases.ts`:
 *   npx tsx __tests__/reliability/write-doc.ts
 * `reliability-doc.test.ts` fails until the doc and the cases agree.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { RELIABILITY_DOC, replaceFaultTable } from './doc-table.js'

const text = await readFile(RELIABILITY_DOC, 'utf8')
await writeFile(RELIABILITY_DOC, replaceFaultTable(text))
process.stdout.write(`Updated the fault-matrix table in ${RELIABILITY_DOC}.\n`)
