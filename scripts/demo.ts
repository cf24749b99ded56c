/**
 * `npm run demo`: the whole story on a local emulator in well under a minute.
 * Counter v1 is installed and incremented, the bundled action snapshots it exactly as a runner
 * would run it, a broken v2 is deployed, the post-deploy check fails, the action rolls back, and
 * the counter and module hash are back at v1.
 *
 *   npm run demo                        instant network (the story in seconds)
 *   npm run demo -- --profile mainnet   at a mainnet application subnet's pace (update calls 2 s,
 *                                       queries 0.25 s, ingress per block capped): the timings are
 *                                       the ones a user would wait for
 */
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import type { Principal } from '@icp-sdk/core/principal'
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { counterIdl, loadCanisterModule, type CounterService } from '../emulator/canisters/index.js'
import { Emulator, PROFILE_NAMES, type ProfileName } from '../emulator/src/index.js'
import { parseIdentity } from '../src/core/identity.js'
import { runStep, type StepRun } from './lib/runner.js'

function parseProfile(args: string[]): ProfileName | undefined {
  const at = args.indexOf('--profile')
  if (at < 0) return undefined
  const value = args[at + 1] ?? ''
  if (!(PROFILE_NAMES as readonly string[]).includes(value)) {
    process.stderr.write(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${value}'.\n`)
    process.exit(2)
  }
  return value as ProfileName
}
const profile = parseProfile(process.argv.slice(2))

const started = Date.now()
/** The summary records the commit a run belongs to; the demo uses this checkout's. */
const commit = ((): Record<string, string> => {
  try {
    return { GITHUB_SHA: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() }
  } catch {
    return {}
  }
})()
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const say = (s = ''): void => {
  process.stdout.write(`${s}\n`)
}
const step = (n: number, title: string): void => say(`\n${bold(`${n}. ${title}`)}`)

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** Runs the bundled action as a runner would and says how long the step took, start to exit. */
async function timedStep(options: Parameters<typeof runStep>[0]): Promise<StepRun> {
  const begun = performance.now()
  const run = await runStep(options)
  say(`   step took ${seconds(performance.now() - begun)} (process start to exit)`)
  return run
}

function showStep(run: StepRun): void {
  say(`   exit code ${run.exitCode}`)
  say('   outputs:')
  for (const [name, value] of Object.entries(run.outputs)) say(`     ${name} = ${value}`)
  say('   job summary:')
  for (const line of summaryText(run.summary)) say(`     ${line}`)
}

/** The summary is the HTML table `core.summary` writes; render its rows as text for the terminal. */
function summaryText(html: string): string[] {
  return html
    .replace(/<\/(th|td)>/g, ' | ')
    .replace(/<\/tr>/g, '\n')
    .replace(/<\/h3>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .split('\n')
    .map((l) => l.trim().replace(/\s*\|$/, ''))
    .filter((l) => l !== '')
}

const net = await Emulator.start({ seed: 'demo', ...(profile === undefined ? {} : { profile }) })
try {
  const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString()
  const ci = parseIdentity(pem)
  const agent = await HttpAgent.create({ host: net.url, identity: ci.identity, rootKey: net.rootKey })
  const counter = (id: Principal): CounterService => Actor.createActor<CounterService>(counterIdl, { agent, canisterId: id })
  const hashOf = (id: Principal): string => Buffer.from(net.canister(id)?.moduleHash ?? []).toString('hex')
  const inputs = (id: Principal, extra: Record<string, string>): Record<string, string> => ({
    canister: id.toText(),
    network: net.url,
    'root-key': net.rootKeyHex,
    identity: pem,
    ...extra
  })

  const pace = profile === 'mainnet' ? 'mainnet pace: update calls 2 s, queries 0.25 s, ingress per block capped' : 'instant network'
  step(1, `Local IC emulator at ${net.url} (${pace}); CI identity ${ci.principal}`)
  const id = await net.createCanister({ controllers: [ci.identity.getPrincipal()], wasmModule: await loadCanisterModule('counter_v1') })
  for (let i = 0; i < 3; i++) await counter(id).inc()
  const v1Hash = hashOf(id)
  say(`   counter v1 installed in ${id.toText()}, incremented to ${await counter(id).get()}; module ${v1Hash}`)

  step(2, 'Pre-deploy snapshot: node dist/index.js with INPUT_OPERATION=snapshot')
  const snap = await timedStep({ inputs: inputs(id, { operation: 'snapshot' }), env: commit })
  showStep(snap)
  if (snap.exitCode !== 0) throw new Error(`the snapshot step failed:\n${snap.stdout}`)

  step(3, 'Deploy the broken counter v2')
  const ic = IcManagementCanister.create({ agent }) as {
    installCode(p: { mode: { upgrade: [] }; canisterId: Principal; wasmModule: Uint8Array; arg: Uint8Array }): Promise<void>
  }
  const deployed = performance.now()
  await ic.installCode({ mode: { upgrade: [] }, canisterId: id, wasmModule: await loadCanisterModule('counter_v2'), arg: new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]) })
  say(`   upgrade took ${seconds(performance.now() - deployed)}`)
  await counter(id).inc()
  say(`   module now ${hashOf(id)}; a user incremented the counter once more`)

  step(4, 'Post-deploy check: query get()')
  try {
    await counter(id).get()
    throw new Error('the check unexpectedly passed')
  } catch (error: unknown) {
    const text = error instanceof Error ? error.message : String(error)
    say(`   check FAILED: ${text.split('\n').find((l) => l.includes('trap') || l.includes('Reject text')) ?? text.split('\n')[0]}`)
  }

  step(5, `Rollback: INPUT_OPERATION=rollback, INPUT_SNAPSHOT-ID=${snap.outputs['snapshot-id']}`)
  const rollback = await timedStep({ inputs: inputs(id, { operation: 'rollback', 'snapshot-id': snap.outputs['snapshot-id'] ?? '' }), env: commit })
  showStep(rollback)
  if (rollback.exitCode !== 0) throw new Error(`the rollback step failed:\n${rollback.stdout}`)

  step(6, 'After the rollback')
  const value = await counter(id).get()
  say(`   counter = ${value} (was 3 at the snapshot), module ${hashOf(id)}`)
  say(`   module hash ${hashOf(id) === v1Hash ? 'matches v1' : 'DOES NOT match v1'}; status ${net.canister(id)?.status}`)
  if (value !== 3n || hashOf(id) !== v1Hash) throw new Error('the canister is not back at v1')
  say(`\nDone in ${seconds(Date.now() - started)}${profile === undefined ? '' : ` at ${profile} pace`}.`)
} finally {
  await net.close()
}
