import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { InputError } from '../src/core/errors.js'
import { UnknownCanisterError, resolveCanisters, splitCanisterRefs } from '../src/core/project/resolve.js'
import { icpBinary } from './helpers/icp.js'

const run = promisify(execFile)

// Valid canister principals (opaque IDs); the icp-cli docs and tests use the same ones.
const A = 'rrkah-fqaaa-aaaaa-aaaaq-cai'
const B = 'ryjl3-tyaaa-aaaaa-aaaba-cai'
const C = 'r7inp-6aaaa-aaaaa-aaabq-cai'
const D = 'rkp4c-7iaaa-aaaaa-aaaca-cai'

let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'project-ids-'))
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

async function project(files: Record<string, unknown>): Promise<string> {
  const root = await mkdtemp(path.join(scratch, 'p-'))
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true })
    await writeFile(path.join(root, file), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  return root
}

const ids = (list: { canisterId: string }[]) => list.map((c) => c.canisterId)

describe('resolveCanisters from dfx files', () => {
  it('resolves mainnet names from canister_ids.json at the project root', async () => {
    const root = await project({ 'canister_ids.json': { backend: { ic: A }, frontend: { ic: B, staging: C } } })
    const resolved = await resolveCanisters({ refs: ['frontend', 'backend'], network: 'ic', projectRoot: root })
    expect(resolved).toEqual([
      expect.objectContaining({ canisterId: B, name: 'frontend', source: 'canister_ids.json' }),
      expect.objectContaining({ canisterId: A, name: 'backend', source: 'canister_ids.json' })
    ])
    expect(resolved[0]?.principal.toText()).toBe(B)
  })

  it('resolves local names from .dfx/local/canister_ids.json and leaves out dfx helper canisters from all', async () => {
    const root = await project({
      'canister_ids.json': { backend: { ic: A } },
      '.dfx/local/canister_ids.json': { backend: { local: C }, frontend: { local: D }, __Candid_UI: { local: B } }
    })
    const resolved = await resolveCanisters({ refs: ['all'], network: 'local', projectRoot: root })
    expect(resolved.map((c) => [c.name, c.canisterId])).toEqual([
      ['backend', C],
      ['frontend', D]
    ])
  })

  it('uses the environment option for a URL network', async () => {
    const root = await project({ '.dfx/local/canister_ids.json': { backend: { local: C } } })
    const resolved = await resolveCanisters({ refs: ['backend'], network: 'http://127.0.0.1:4943', environment: 'local', projectRoot: root })
    expect(ids(resolved)).toEqual([C])
    await expect(resolveCanisters({ refs: ['backend'], network: 'http://127.0.0.1:4943', projectRoot: root })).rejects.toThrow(
      "Input 'canister' must be principals when 'network' is a URL, unless 'canister-ids'"
    )
  })
})

describe('resolveCanisters from icp-cli stores', () => {
  it('reads .icp/data/mappings/ic.ids.json and .icp/cache/mappings/local.ids.json', async () => {
    const root = await project({
      '.icp/data/mappings/ic.ids.json': { backend: A, frontend: B },
      '.icp/cache/mappings/local.ids.json': { backend: C }
    })
    expect(ids(await resolveCanisters({ refs: ['all'], network: 'ic', projectRoot: root }))).toEqual([A, B])
    expect(ids(await resolveCanisters({ refs: ['backend'], network: 'local', projectRoot: root }))).toEqual([C])
  })

  it("reads the store that icp 1.5.0 itself writes with `icp canister link`", async () => {
    const root = await project({
      'icp.yaml': [
        'canisters:',
        ...['backend', 'frontend'].flatMap((name) => [
          `  - name: ${name}`,
          '    build:',
          '      steps:',
          '        - type: script',
          '          command: echo build',
        ])
      ].join('\n')
    })
    const env = { ...process.env, ICP_HOME: path.join(root, '.icp-home'), DO_NOT_TRACK: '1' }
    const icp = icpBinary()
    const link = (name: string, id: string, environment: string) =>
      run(icp, ['canister', 'link', name, id, '-e', environment], { cwd: root, env, timeout: 30_000 })
    await link('backend', A, 'local')
    await link('frontend', B, 'local')
    await link('backend', C, 'ic')

    const local = await resolveCanisters({ refs: ['all'], network: 'local', projectRoot: root })
    expect(local.map((c) => [c.name, c.canisterId, c.source])).toEqual([
      ['backend', A, path.join('.icp', 'cache', 'mappings', 'local.ids.json')],
      ['frontend', B, path.join('.icp', 'cache', 'mappings', 'local.ids.json')]
    ])
    const mainnet = await resolveCanisters({ refs: ['all'], network: 'ic', projectRoot: root })
    expect(mainnet.map((c) => [c.name, c.canisterId, c.source])).toEqual([
      ['backend', C, path.join('.icp', 'data', 'mappings', 'ic.ids.json')]
    ])
  })

  it('merges dfx and icp-cli files that agree and refuses ones that disagree', async () => {
    const agree = await project({ '.icp/data/mappings/ic.ids.json': { backend: A }, 'canister_ids.json': { backend: { ic: A }, ledger: { ic: B } } })
    expect(ids(await resolveCanisters({ refs: ['all'], network: 'ic', projectRoot: agree }))).toEqual([A, B])
    const disagree = await project({ '.icp/data/mappings/ic.ids.json': { backend: A }, 'canister_ids.json': { backend: { ic: B } } })
    await expect(resolveCanisters({ refs: ['backend'], network: 'ic', projectRoot: disagree })).rejects.toThrow(
      `maps 'backend' to ${A} but canister_ids.json maps it to ${B}`
    )
  })
})

describe('resolveCanisters with an explicit canister-ids file', () => {
  it('accepts the dfx shape and ignores the project files', async () => {
    const root = await project({ 'canister_ids.json': { backend: { ic: A } }, 'ops/ids.json': { backend: { ic: D } } })
    const resolved = await resolveCanisters({ refs: ['backend'], network: 'ic', projectRoot: root, canisterIdsFile: 'ops/ids.json' })
    expect(resolved.map((c) => [c.canisterId, c.source])).toEqual([[D, path.join('ops', 'ids.json')]])
  })

  it('accepts the icp-cli shape, for any network', async () => {
    const root = await project({ 'ids.json': { a: A, b: B } })
    const resolved = await resolveCanisters({ refs: ['b', 'a'], network: 'http://127.0.0.1:8080', projectRoot: root, canisterIdsFile: 'ids.json' })
    expect(ids(resolved)).toEqual([B, A])
    const nested = await project({ 'ids.json': { a: { local: A } } })
    await expect(
      resolveCanisters({ refs: ['a'], network: 'http://127.0.0.1:8080', projectRoot: nested, canisterIdsFile: 'ids.json' })
    ).rejects.toThrow(`Input 'canister-ids' must be a { "name": "principal" } file when 'network' is a URL`)
  })

  it('fails on a missing or malformed file, naming the input', async () => {
    const root = await project({ 'bad.json': '{ not json', 'array.json': [A] })
    await expect(resolveCanisters({ refs: ['a'], network: 'ic', projectRoot: root, canisterIdsFile: 'missing.json' })).rejects.toThrow(
      "Input 'canister-ids' must be the path of an existing canister_ids.json"
    )
    await expect(resolveCanisters({ refs: ['a'], network: 'ic', projectRoot: root, canisterIdsFile: 'bad.json' })).rejects.toThrow(
      /Input 'canister-ids' .*bad\.json is malformed/
    )
    await expect(resolveCanisters({ refs: ['a'], network: 'ic', projectRoot: root, canisterIdsFile: 'array.json' })).rejects.toThrow(
      'the top level is not a JSON object'
    )
  })
})

describe('resolveCanisters refusals', () => {
  it('fails on an unknown name with the names that exist', async () => {
    const root = await project({ 'canister_ids.json': { backend: { ic: A }, frontend: { ic: B } } })
    const attempt = resolveCanisters({ refs: ['backend', 'ledger'], network: 'ic', projectRoot: root })
    await expect(attempt).rejects.toThrow(UnknownCanisterError)
    await expect(resolveCanisters({ refs: ['ledger'], network: 'ic', projectRoot: root })).rejects.toThrow(
      "Input 'canister': 'ledger' is neither a principal nor a canister of this project on 'ic'. Known canisters: backend, frontend (from canister_ids.json)."
    )
  })

  it('says where it looked when the project has no IDs for the network', async () => {
    const root = await project({ 'canister_ids.json': { backend: { ic: A } } })
    await expect(resolveCanisters({ refs: ['all'], network: 'local', projectRoot: root })).rejects.toThrow(
      /'all' found no canisters for 'local' \(looked in .*\.dfx\/local\/canister_ids\.json\)/
    )
  })

  it('passes principals through without reading any file, and validates them', async () => {
    const root = await project({ 'canister_ids.json': '{ broken' })
    expect(ids(await resolveCanisters({ refs: [A, B], network: 'ic', projectRoot: root }))).toEqual([A, B])
    const empty = await project({})
    await expect(resolveCanisters({ refs: ['rrkah-fqaaa-aaaaa-aaaaq-caj'], network: 'ic', projectRoot: empty })).rejects.toThrow(
      "Input 'canister' must be a valid principal (its checksum does not match"
    )
    for (const notACanister of ['2vxsx-fae', 'aaaaa-aa']) {
      await expect(resolveCanisters({ refs: [notACanister], network: 'ic', projectRoot: root })).rejects.toThrow(
        "Input 'canister' must be a canister ID"
      )
    }
  })

  it('reports a bad checksum with a URL network, where no names can be known', async () => {
    const root = await project({ 'canister_ids.json': { backend: { ic: A } } })
    await expect(resolveCanisters({ refs: [A, 'rrkah-fqaaa-aaaaa-aaaaq-caj'], network: 'http://127.0.0.1:4943', projectRoot: root })).rejects.toThrow(
      "Input 'canister' must be a valid principal (its checksum does not match; copy it again) or a project canister name, got 'rrkah-fqaaa-aaaaa-aaaaq-caj'."
    )
  })

  it('prefers a project name over a principal-shaped typo', async () => {
    const root = await project({ 'canister_ids.json': { 'abcde-fg': { ic: A } } })
    expect(ids(await resolveCanisters({ refs: ['abcde-fg'], network: 'ic', projectRoot: root }))).toEqual([A])
  })

  it('refuses the same canister twice, by name and principal', async () => {
    const root = await project({ 'canister_ids.json': { backend: { ic: A }, alias: { ic: A } } })
    await expect(resolveCanisters({ refs: ['backend', A], network: 'ic', projectRoot: root })).rejects.toThrow(
      `'backend' and '${A}' are both ${A}`
    )
    await expect(resolveCanisters({ refs: ['all'], network: 'ic', projectRoot: root })).rejects.toThrow(`'alias' and 'backend' are both ${A}`)
  })

  it('refuses an empty list and all mixed with other canisters', async () => {
    const root = await project({})
    await expect(resolveCanisters({ refs: [], network: 'ic', projectRoot: root })).rejects.toThrow(InputError)
    await expect(resolveCanisters({ refs: ['all', A], network: 'ic', projectRoot: root })).rejects.toThrow(
      "Input 'canister' must be either 'all' alone"
    )
  })

  it('splits the canister input on newlines, commas and spaces', () => {
    expect(splitCanisterRefs(` backend,frontend\n${A}  ledger\n`)).toEqual(['backend', 'frontend', A, 'ledger'])
  })
})
