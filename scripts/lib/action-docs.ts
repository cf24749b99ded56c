/**
 * The README's inputs and outputs tables, generated from action.yml so the two cannot drift:
 * `npm run docs` rewrites the marked sections, and a test fails when they are stale.
 */
import { load } from 'js-yaml'

interface ActionInput {
  description?: string
  required?: boolean
  default?: string
}

export interface ActionMetadata {
  inputs: Record<string, ActionInput>
  outputs: Record<string, { description?: string }>
}

export function parseActionYml(text: string): ActionMetadata {
  const doc = load(text) as Partial<ActionMetadata> | null
  return { inputs: doc?.inputs ?? {}, outputs: doc?.outputs ?? {} }
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ').trim()

export function inputsTable(meta: ActionMetadata): string {
  const rows = Object.entries(meta.inputs).map(
    ([name, i]) => `| \`${name}\` | ${i.required === true ? 'yes' : 'no'} | ${i.default === undefined || i.default === '' ? '' : `\`${i.default}\``} | ${cell(i.description ?? '')} |`
  )
  return ['| Input | Required | Default | Description |', '|---|---|---|---|', ...rows].join('\n')
}

export function outputsTable(meta: ActionMetadata): string {
  const rows = Object.entries(meta.outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.description ?? '')} |`)
  return ['| Output | Description |', '|---|---|', ...rows].join('\n')
}

/** Replaces the text between `<!-- <name>:start -->` and `<!-- <name>:end -->`. */
export function replaceSection(doc: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if (from < 0 || to < from) throw new Error(`README.md has no '${start}' … '${end}' section`)
  return `${doc.slice(0, from + start.length)}\n${content}\n${doc.slice(to)}`
}

export function renderReadme(readme: string, actionYml: string): string {
  const meta = parseActionYml(actionYml)
  return replaceSection(replaceSection(readme, 'inputs', inputsTable(meta)), 'outputs', outputsTable(meta))
}
