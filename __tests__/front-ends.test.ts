/**
 * The action and the CLI accept exactly the same values for every input: one table of values is
 * given to both front ends (action inputs through `@actions/core`, the CLI as flags, files or
 * environment variables) and both must parse to the same request or fail with the same message.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { Principal } from '@icp-sdk/core/principal'
import * as core from '../__fixtures__/core.js'
import { COMMON_INPUTS } from '../src/core/inputs/common.js'
import { generateX25519Identity, identityToRecipient } from 'age-encryption'
import { readInputs } from '../src/core/inputs/parse.js'
import { OPERATIONS } from '../src/core/operations/registry.js'
import type { InputDecl, OperationSpec } from '../src/core/operations/types.js'

jest.unstable_mockModule('@actions/core', () => core)
const { readInput } = await import('../src/action/inputs.js')
const { cliReader, parseArgv, SECRET_SOURCES } = await import('../src/cli/program.js')

const A = 'rwlgt-iiaaa-aaaaa-aaaaa-cai'
const SNAP = `0000000000000001${Buffer.from(Principal.fromText(A).toUint8Array()).toString('hex')}`
const PEM = '-----BEGIN EC PRIVATE KEY-----\nMHQCAQEEI...\n-----END EC PRIVATE KEY-----\n'
const AGE_IDENTITY = await generateX25519Identity()
const AGE_RECIPIENT = await identityToRecipient(AGE_IDENTITY)
const OTHER_RECIPIENT = await identityToRecipient(await generateX25519Identity())

interface Row {
  operation: string
  input: string
  values: string[]
  /** Other inputs the operation needs to get as far as this one. */
  base?: Record<string, string>
}

const DOWNLOAD = { path: 'backup' }
const UPLOAD = { path: 'backup.tar' }
const B = 'ryjl3-tyaaa-aaaaa-aaaba-cai'
const COPY = { 'from-canister': B }

const TABLE: Row[] = [
  { operation: 'list', input: 'network', values: ['ic', 'IC', 'local', 'mainnet', 'http://127.0.0.1:4943', 'https://boundary.example.org'] },
  { operation: 'list', input: 'root-key', values: ['mainnet', 'fetch', 'zz', 'MAINNET'], base: { network: 'local' } },
  { operation: 'list', input: 'canister-ids', values: ['canister_ids.json', '.icp/data/mappings/ic.ids.json'] },
  { operation: 'list', input: 'identity', values: [PEM, 'not a pem'] },
  { operation: 'list', input: 'identity-password', values: ['hunter2-but-longer', ' spaced '] },
  { operation: 'list', input: 'timeout', values: ['1', '60', '21600', '21601', '0', '-5', '1.5', '1e2', 'soon'] },
  { operation: 'snapshot', input: 'concurrency', values: ['1', '64', '65', '0', '1e1', '0x10'] },
  { operation: 'download', input: 'concurrency', values: ['4', '64', '65', '4.0'], base: DOWNLOAD },
  { operation: 'rollback', input: 'snapshot-id', values: ['latest', 'LATEST', SNAP, `0x${SNAP.toUpperCase()}`, 'zz', 'new'] },
  { operation: 'delete', input: 'snapshot-id', values: ['latest', SNAP, 'abc'] },
  { operation: 'download', input: 'snapshot-id', values: ['latest', 'new', 'NEW', SNAP, 'zz'], base: DOWNLOAD },
  { operation: 'upload', input: 'snapshot-id', values: ['latest'], base: UPLOAD },
  { operation: 'snapshot', input: 'snapshot-id', values: [SNAP] },
  { operation: 'snapshot', input: 'replace', values: [SNAP, `${SNAP},${SNAP}`, 'not-hex'] },
  { operation: 'upload', input: 'replace', values: [SNAP, 'not-hex'], base: UPLOAD },
  { operation: 'rollback', input: 'replace', values: [SNAP], base: { 'snapshot-id': 'latest' } },
  { operation: 'snapshot', input: 'stop', values: ['true', 'false'] },
  { operation: 'download', input: 'stop', values: ['true', 'false'], base: { ...DOWNLOAD, 'snapshot-id': 'new' } },
  { operation: 'rollback', input: 'safety-snapshot', values: ['true', 'false'], base: { 'snapshot-id': 'latest' } },
  { operation: 'snapshot', input: 'stop-timeout', values: ['30', '3600', '3601', '0', 'abc'] },
  { operation: 'upload', input: 'stop-timeout', values: ['30', '0'], base: { ...UPLOAD, load: 'true' } },
  { operation: 'snapshot', input: 'dry-run', values: ['true', 'false'] },
  { operation: 'prune', input: 'dry-run', values: ['true', 'false'], base: { keep: '2' } },
  { operation: 'snapshot', input: 'keep', values: ['1', '10', '11', '0', 'x'] },
  { operation: 'prune', input: 'keep', values: ['2', ''] },
  { operation: 'snapshot', input: 'max-age', values: ['14d', '12h', '1w2d', 'forever'] },
  { operation: 'prune', input: 'protect', values: [SNAP, 'zz'], base: { keep: '1' } },
  { operation: 'snapshot', input: 'min-cycles', values: ['1.5T', '2_000_000', 'lots'] },
  { operation: 'snapshot', input: 'consistent', values: ['true', 'false'] },
  { operation: 'download', input: 'path', values: ['backup', 'dir with spaces'] },
  { operation: 'upload', input: 'path', values: ['backup.tar.age', 'backup'] },
  { operation: 'download', input: 'archive', values: ['true'], base: DOWNLOAD },
  { operation: 'download', input: 'encrypt-recipients', values: [AGE_RECIPIENT, `${AGE_RECIPIENT},${OTHER_RECIPIENT}`, 'age1notakey', 'ssh-ed25519 AAAA'], base: DOWNLOAD },
  { operation: 'download', input: 'encrypt-passphrase', values: ['a long enough passphrase', 'short'], base: DOWNLOAD },
  { operation: 'upload', input: 'encrypt-passphrase', values: ['a long enough passphrase'], base: UPLOAD },
  { operation: 'upload', input: 'decrypt-identity', values: [AGE_IDENTITY, 'AGE-SECRET-KEY-1ABC', 'not a key'], base: UPLOAD },
  { operation: 'upload', input: 'load', values: ['true', 'false'], base: UPLOAD },
  { operation: 'download', input: 'resume', values: ['true', 'false'], base: DOWNLOAD },
  { operation: 'upload', input: 'resume', values: ['true', 'false'], base: UPLOAD },
  { operation: 'copy', input: 'from-canister', values: [B, 'frontend'] },
  { operation: 'copy', input: 'snapshot-id', values: ['latest', 'new', SNAP, 'zz'], base: COPY },
  { operation: 'copy', input: 'safety-snapshot', values: ['true', 'false'], base: COPY },
  { operation: 'copy', input: 'resume', values: ['true', 'false'], base: COPY },
  { operation: 'copy', input: 'path', values: ['backup'], base: COPY }
]

const specOf = (operation: string): OperationSpec => (OPERATIONS as readonly OperationSpec[]).find((s) => s.name === operation) as OperationSpec
const declOf = (spec: OperationSpec, input: string): InputDecl | undefined => [...COMMON_INPUTS, ...spec.inputs].find((d) => d.name === input)

type Outcome = { parsed: unknown } | { error: string }

async function outcome(parse: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { parsed: await parse() }
  } catch (error: unknown) {
    return { error: (error as Error).message }
  }
}

function viaAction(values: Record<string, string>): Promise<Outcome> {
  core.getInput.mockImplementation((name: string) => values[name] ?? '')
  return outcome(() => readInputs(readInput))
}

/** The same values as a user would type them: flags, and environment variables for secrets. */
async function viaCli(operation: string, values: Record<string, string>): Promise<Outcome> {
  const spec = specOf(operation)
  const argv: string[] = [operation, A]
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(values)) {
    if (name === 'operation' || name === 'canister' || value === '') continue
    const decl = declOf(spec, name)
    // An input the operation does not declare has no flag: commander refuses it.
    if (decl === undefined) argv.push(`--${name}=${value}`)
    else if (decl.secret === true) env[SECRET_SOURCES[name]?.env ?? ''] = value
    else if (decl.type === 'string') argv.push(`--${name}=${value}`)
    else if (value !== decl.default) argv.push(value === 'true' ? `--${name}` : `--no-${name}`)
  }
  let usage = ''
  const command = await parseArgv(argv, { stdout: () => undefined, stderr: (text) => (usage += text) })
  if (typeof command === 'number') return { error: `usage error: ${usage}` }
  try {
    const read = await cliReader(command, { env, readStdin: () => Promise.resolve('') })
    return await outcome(() => readInputs(read))
  } catch (error: unknown) {
    return { error: (error as Error).message }
  }
}

beforeEach(() => {
  jest.clearAllMocks()
})

describe('the action and the CLI', () => {
  it('have a row in the table for every input an operation declares', () => {
    const declared = new Set([...COMMON_INPUTS, ...OPERATIONS.flatMap((s) => s.inputs)].map((d) => d.name))
    for (const name of ['operation', 'canister']) declared.delete(name)
    expect(new Set(TABLE.map((r) => r.input))).toEqual(declared)
  })

  const cases = TABLE.flatMap((row) => row.values.map((value) => [row.operation, row.input, value, row] as const))
  it.each(cases)('%s: %s = %j parses the same way in both', async (operation, input, value, row) => {
    const values: Record<string, string> = { operation, canister: A, identity: PEM, ...row.base, [input]: value }
    const action = await viaAction(values)
    const cli = await viaCli(operation, values)
    if (declOf(specOf(operation), input) === undefined) {
      // Refused by both: the action because the operation does not use it, the CLI for lack of the flag.
      expect(action).toEqual({ error: expect.stringMatching(new RegExp(`^Input '${input}' must be empty for 'operation: ${operation}'`)) })
      expect(cli).toEqual({ error: expect.stringContaining(`unknown option '--${input}=`) })
    } else {
      expect(cli).toEqual(action)
    }
  })

  it('agree on the table: some values of each input are accepted, and the refused ones name the input', async () => {
    const accepted = new Set<string>()
    for (const row of TABLE) {
      for (const value of row.values) {
        const result = await viaAction({ operation: row.operation, canister: A, identity: PEM, ...row.base, [row.input]: value })
        if ('parsed' in result) accepted.add(row.input)
        else expect(result.error).toMatch(/^Input '[a-z-]+' must be /)
      }
    }
    expect([...accepted].sort()).toEqual([...new Set(TABLE.map((r) => r.input))].sort())
  })
})
