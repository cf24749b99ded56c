/**
 * DFINITY's `icp` 1.5.0 binary, which npm publishes for linux-x64 only (installed through the
 * tools/icp workspace as an optional dependency, so `npm ci` works on other platforms too). The
 * tests and the benchmarks (bench/) that drive icp call this: elsewhere they fail saying why,
 * never with a bare ENOENT.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const PACKAGE = '@icp-sdk/icp-cli-linux-x64'
const PUBLISHED_FOR = 'linux-x64'

export function icpBinary(): string {
  const binary = join(process.cwd(), 'node_modules', PACKAGE, 'bin', 'icp')
  if (existsSync(binary)) return binary
  const platform = `${process.platform}-${process.arch}`
  if (platform !== PUBLISHED_FOR) {
    throw new Error(`icp 1.5.0 is published on npm for ${PUBLISHED_FOR} only (${PACKAGE}); this machine is ${platform}, so the tests that check our results against icp's cannot run here`)
  }
  throw new Error(`${PACKAGE} is not installed (expected ${binary}): run npm ci`)
}
