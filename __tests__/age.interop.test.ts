/**
 * Interoperability with a system tool that npm does not provide: the reference `age` CLI opens
 * an archive the download encrypted. Run by `npm run test:interop` (CI installs age first), not
 * by `npm test`, so that `npm test` passes on a machine without age; without it this test fails
 * saying so.
 */
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { generateX25519Identity, identityToRecipient } from 'age-encryption'
import { runDownload } from '../src/core/commands/download.js'
import { MANIFEST_FILE } from '../src/core/backup/layout.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { createBallast, downloadRequest, tempDir } from './helpers/backup.js'

const execFileAsync = promisify(execFile)

let t: TestNetwork
let work: string

beforeAll(async () => {
  await execFileAsync('age', ['--version']).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`the \`age\` binary is needed by test:interop and could not be run (${error.code ?? error.message}): install it, e.g. apt-get install age`)
  })
  t = await startTestNetwork()
  work = await tempDir('age-interop')
})

afterAll(async () => {
  await t?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('age CLI interoperability', () => {
  it('`age -d` opens an encrypted archive: the plaintext is a tar with our manifest and memories', async () => {
    const source = await createBallast(t, 2, 1)
    const identity = await generateX25519Identity()
    const dir = join(work, 'encrypted')
    const down = await runDownload(
      t.context(),
      downloadRequest(source.canisterId, dir, { snapshot: { kind: 'new' }, archive: true, encryption: { recipients: [await identityToRecipient(identity)] } })
    )
    expect(down.path).toBe(`${dir}.tar.age`)

    const keyFile = join(work, 'age.key')
    await writeFile(keyFile, `${identity}\n`, { mode: 0o600 })
    const plain = join(work, 'plain.tar')
    await execFileAsync('age', ['-d', '-i', keyFile, '-o', plain, down.path])
    const { stdout } = await execFileAsync('tar', ['-tf', plain])
    expect(stdout.split('\n')).toEqual(expect.arrayContaining([MANIFEST_FILE, 'metadata.json', 'wasm_memory.bin', 'stable_memory.bin']))
    // The decrypted tar is the archive's plaintext, not a header with nothing behind it.
    expect((await readFile(plain)).length).toBeGreaterThan(3 * 1024 * 1024)
  })
})
