/**
 * action.yml, the README, the code's input/output names and dist/ change together; this keeps
 * them from drifting apart.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from '@jest/globals'
import { load } from 'js-yaml'
import { parseActionYml, renderReadme } from '../scripts/lib/action-docs.js'
import { Inputs, Outputs, SecretInputs, TOOL } from '../src/constants.js'
import { COMMON_INPUTS } from '../src/core/inputs/common.js'
import { OPERATIONS } from '../src/core/operations/registry.js'
import { toOutputs } from '../src/core/report.js'

const actionYml = await readFile('action.yml', 'utf8')
const meta = parseActionYml(actionYml)

describe('action contract', () => {
  it('has README tables generated from action.yml (run `npm run docs` after changing it)', async () => {
    const readme = await readFile('README.md', 'utf8')
    expect(renderReadme(readme, actionYml)).toBe(readme)
  })

  it('declares every input the code reads, and only required inputs the code requires', () => {
    for (const name of Object.values(Inputs)) expect(Object.keys(meta.inputs)).toContain(name)
    const required = Object.entries(meta.inputs).filter(([, i]) => i.required === true).map(([n]) => n)
    expect(required.sort()).toEqual([Inputs.Canister, Inputs.Identity].sort())
  })

  it('declares exactly the inputs the operations declare, with their defaults, required and secret inputs', () => {
    const decls = [...COMMON_INPUTS, ...OPERATIONS.flatMap((s) => s.inputs)]
    expect(Object.keys(meta.inputs).sort()).toEqual([...new Set(decls.map((d) => d.name))].sort())
    for (const decl of decls) {
      // '' in action.yml: the operation decides (download's `snapshot-id` means `latest`, the others' nothing).
      if (decl.default !== undefined) expect([decl.default, '']).toContain(meta.inputs[decl.name]?.default ?? '')
    }
    const required = COMMON_INPUTS.filter((d) => d.required === true).map((d) => d.name)
    expect(Object.entries(meta.inputs).filter(([, i]) => i.required === true).map(([n]) => n).sort()).toEqual(required.sort())
    expect([...new Set(decls.filter((d) => d.secret === true).map((d) => d.name))].sort()).toEqual([...SecretInputs].sort())
  })

  it('defaults no input to a value that an operation forbids (the runner fills in defaults)', () => {
    for (const name of ['snapshot-id', 'replace', 'load', 'decrypt-identity', 'encrypt-recipients', 'encrypt-passphrase', 'path', 'keep', 'max-age', 'protect']) {
      expect([undefined, '']).toContain(meta.inputs[name]?.default)
    }
    for (const name of SecretInputs) expect(meta.inputs[name]?.description ?? '').toMatch(/mask/i)
  })

  it('declares every output the code sets', () => {
    const set = Object.keys(toOutputs({ operation: 'list', principal: 'aaaaa-aa', dryRun: false, results: [] }))
    for (const name of [...Object.values(Outputs), ...set]) expect(Object.keys(meta.outputs)).toContain(name)
  })

  it('runs the committed ESM bundle on node24 with an always-run post step', async () => {
    const doc = load(actionYml) as { runs: Record<string, string>; branding: Record<string, string> }
    expect(doc.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js', 'post-if': 'always()' })
    expect(doc.branding.icon).toBeTruthy()
    expect(JSON.parse(await readFile('dist/package.json', 'utf8'))).toEqual({ type: 'module' })
    const cli = await readFile('dist/cli/index.js', 'utf8')
    expect(cli.startsWith('#!/usr/bin/env node\n')).toBe(true)
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { bin: Record<string, string>; version: string }
    expect(pkg.bin['canister-snapshot']).toBe('dist/cli/index.js')
    expect(TOOL.version).toBe(pkg.version)
  })
})
