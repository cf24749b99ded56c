/** `npm run docs`: regenerates the README's inputs/outputs tables from action.yml. */
import { readFile, writeFile } from 'node:fs/promises'
import { renderReadme } from './lib/action-docs.js'

const readme = await readFile('README.md', 'utf8')
const updated = renderReadme(readme, await readFile('action.yml', 'utf8'))
if (updated !== readme) {
  await writeFile('README.md', updated)
  process.stdout.write('README.md tables updated from action.yml.\n')
} else {
  process.stdout.write('README.md tables are up to date.\n')
}
