/**
 * `npm run build:canisters` writes emulator/canisters/build/*.wasm from the .wat sources;
 * `npm run check:canisters` (`--check`) rebuilds in memory and fails if a committed module differs.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { buildCanisterModule, builtModuleUrl, CANISTER_NAMES } from '../canisters/build.js'

async function main(check: boolean): Promise<number> {
  let stale = 0
  for (const name of CANISTER_NAMES) {
    const built = await buildCanisterModule(name)
    const target = builtModuleUrl(name)
    if (check) {
      const committed = await readFile(target).catch(() => undefined)
      if (committed === undefined || !Buffer.from(built).equals(committed)) {
        console.error(`${name}: emulator/canisters/build/${name}.wasm is missing or out of date; run \`npm run build:canisters\` and commit it.`)
        stale++
      } else {
        console.log(`${name}: up to date (${built.length} bytes)`)
      }
    } else {
      await mkdir(new URL('.', target), { recursive: true })
      await writeFile(target, built)
      console.log(`${name}: wrote ${built.length} bytes`)
    }
  }
  return stale === 0 ? 0 : 1
}

const args = process.argv.slice(2)
const unknown = args.filter((arg) => arg !== '--check')
if (unknown.length > 0) {
  console.error(`Unknown argument ${unknown.join(' ')}; usage: build-canisters.ts [--check]`)
  process.exit(2)
}
process.exitCode = await main(args.includes('--check'))
