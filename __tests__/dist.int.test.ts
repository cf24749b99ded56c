/**
 * The committed bundle, run as a process with a runner-like environment against the emulator:
 * outputs, state, summary and the post step, and that no form of the key leaks anywhere.
 */
import { createPrivateKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Principal } from '@icp-sdk/core/principal'
import { runStep, type StepRun } from '../scripts/lib/runner.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'

let t: TestNetwork

beforeAll(async () => {
  t = await startTestNetwork()
})
afterAll(async () => {
  await t.close()
})

function inputs(canister: Principal | Principal[], extra: Record<string, string> = {}): Record<string, string> {
  const ids = (Array.isArray(canister) ? canister : [canister]).map((c) => c.toText()).join('\n')
  return { canister: ids, network: t.net.url, 'root-key': t.net.rootKeyHex, identity: t.pem, ...extra }
}

/** Every encoding of the key material a leak could take. */
function secretForms(pem: string): string[] {
  const body = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'))
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' })
  const d = Buffer.from(createPrivateKey(pem).export({ format: 'jwk' }).d ?? '', 'base64url')
  return [pem.trim(), ...body, body.join(''), der.toString('base64'), der.toString('hex'), d.toString('hex'), d.toString('base64'), d.toString('base64url')]
}

/**
 * `::add-mask::` lines are how the secret reaches the runner's masker; the runner consumes them
 * and never shows them, so they are the one place the key may appear.
 */
function expectNoLeak(run: StepRun): void {
  const shown = run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')
  const places = { stdout: shown, stderr: run.stderr, outputs: JSON.stringify(run.outputs), state: JSON.stringify(run.state), summary: run.summary }
  for (const [where, text] of Object.entries(places)) {
    for (const secret of secretForms(t.pem)) {
      if (text.includes(secret)) throw new Error(`key material found in ${where}`)
    }
  }
}

const snapshotIds = (id: Principal): string[] => (t.net.canister(id)?.snapshots ?? []).map((s) => s.id)

describe('dist/index.js as a workflow step', () => {
  it('takes a snapshot and writes outputs, state and the job summary', async () => {
    const id = await t.createCounter()
    const run = await runStep({ inputs: inputs(id) })
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const [snap] = snapshotIds(id)
    expect(run.outputs['snapshot-id']).toBe(snap)
    expect(JSON.parse(run.outputs['snapshot-ids'] ?? '')).toEqual({ [id.toText()]: snap })
    expect(Date.parse(run.outputs['taken-at'] ?? '')).toBeGreaterThan(0)
    expect(Number(run.outputs['total-size'])).toBe(Number(t.net.canister(id)?.snapshots[0]?.totalSize))
    expect(run.outputs['module-hash']).toBe(t.moduleHashOf(id))
    expect(run.outputs.principal).toBe(t.identity.principal)
    expect(run.state['is-post']).toBe('true')
    expect(JSON.parse(run.state['pending-restart'] ?? '')).toEqual([])
    expect(run.summary).toContain('<table>')
    expect(run.summary).toContain(snap)
    expect(run.summary).toContain('0123456789abcdef0123456789abcdef01234567')
    expect(run.stdout).toContain(`::group::Take the snapshot of ${id.toText()}`)
    expect(run.stdout).toContain('::add-mask::')
    expect(t.net.canister(id)?.status).toBe('running')
    expectNoLeak(run)
  })

  it('rolls back, lists and deletes', async () => {
    const id = await t.createCounter()
    await t.counter(id).inc()
    const taken = await runStep({ inputs: inputs(id) })
    await t.counter(id).inc()
    const rollback = await runStep({ inputs: inputs(id, { operation: 'rollback', 'snapshot-id': taken.outputs['snapshot-id'] ?? '' }) })
    expect(rollback.exitCode).toBe(0)
    expect(await t.counter(id).get()).toBe(1n)
    expect(rollback.outputs['module-hash']).toBe(t.moduleHashOf(id))
    const list = await runStep({ inputs: inputs(id, { operation: 'list' }) })
    const listed = JSON.parse(list.outputs.snapshots ?? '') as { canister: string; id: string }[]
    expect(listed.map((s) => s.id)).toEqual(snapshotIds(id))
    expect(listed).toHaveLength(2)
    const del = await runStep({ inputs: inputs(id, { operation: 'delete', 'snapshot-id': 'latest' }) })
    expect(del.exitCode).toBe(0)
    expect(snapshotIds(id)).toEqual([taken.outputs['snapshot-id']])
    for (const run of [rollback, list, del]) expectNoLeak(run)
  })

  it('fails with one actionable line for a canister it does not control, and leaks nothing', async () => {
    const { loadCanisterModule } = await import('../emulator/canisters/index.js')
    const foreign = await t.net.createCanister({ controllers: [], wasmModule: await loadCanisterModule('counter_v1') })
    const run = await runStep({ inputs: inputs(foreign) })
    expect(run.exitCode).toBe(1)
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(`Identity ${t.identity.principal} is not a controller of canister ${foreign.toText()}`)
    expect(t.net.canister(foreign)?.status).toBe('running')
    expectNoLeak(run)
  })

  it('fails on bad input naming the input, before touching the network', async () => {
    const id = await t.createCounter()
    const run = await runStep({ inputs: inputs(id, { stop: 'maybe' }) })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain("::error::Input 'stop' must be 'true' or 'false', got 'maybe'.")
    expect(snapshotIds(id)).toEqual([])
    expectNoLeak(run)
  })

  it('resolves project canister names from a canister-ids file and names them in the summary', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const path = await import('node:path')
    const dir = await mkdtemp(path.join(tmpdir(), 'project-'))
    try {
      const id = await t.createCounter()
      await writeFile(path.join(dir, 'ids.json'), JSON.stringify({ backend: id.toText() }))
      const run = await runStep({ inputs: { ...inputs(id), canister: 'backend', 'canister-ids': 'ids.json' }, env: { GITHUB_WORKSPACE: dir } })
      expect(run.exitCode).toBe(0)
      expect(JSON.parse(run.outputs['snapshot-ids'] ?? '')).toEqual({ [id.toText()]: snapshotIds(id)[0] })
      expect(run.summary).toContain(`backend (${id.toText()})`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rotates with keep and prunes with a policy, dry-run first', async () => {
    const id = await t.createCounter()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const run = await runStep({ inputs: inputs(id, { keep: '2' }) })
      expect(run.exitCode).toBe(0)
      ids.push(run.outputs['snapshot-id'] ?? '')
    }
    expect(snapshotIds(id)).toEqual(ids.slice(1))
    const dry = await runStep({ inputs: inputs(id, { operation: 'prune', keep: '1', 'dry-run': 'true' }) })
    expect(dry.exitCode).toBe(0)
    expect(dry.summary).toContain(`would delete ${ids[1]}`)
    expect(snapshotIds(id)).toEqual(ids.slice(1))
    const prune = await runStep({ inputs: inputs(id, { operation: 'prune', keep: '1' }) })
    expect(prune.exitCode).toBe(0)
    expect(snapshotIds(id)).toEqual([ids[2]])
  })

  it('downloads a snapshot and uploads it into another canister with load', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const path = await import('node:path')
    const dir = await mkdtemp(path.join(tmpdir(), 'backup-'))
    try {
      const source = await t.createCounter()
      for (let i = 0; i < 4; i++) await t.counter(source).inc()
      const target = await t.createCounter()
      const down = await runStep({ inputs: inputs(source, { operation: 'download', 'snapshot-id': 'new', path: path.join(dir, 'b') }) })
      expect(down.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([])
      expect(down.exitCode).toBe(0)
      expect(down.outputs['snapshot-id']).toBe(snapshotIds(source)[0])
      expect(down.outputs.path).toBe(path.join(dir, 'b'))
      expect(Number(down.outputs.bytes)).toBeGreaterThan(0)
      expect(down.outputs.sha256).toMatch(/^[0-9a-f]{64}$/)
      const up = await runStep({ inputs: inputs(target, { operation: 'upload', path: path.join(dir, 'b'), load: 'true' }) })
      expect(up.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([])
      expect(up.exitCode).toBe(0)
      expect(await t.counter(target).get()).toBe(4n)
      expect(t.net.canister(target)?.status).toBe('running')
      for (const run of [down, up]) expectNoLeak(run)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('post step restarts a canister left stopped by a killed main step', async () => {
    const id = await t.createCounter()
    t.net.faults.holdStopping(id, true)
    // The main step hangs in stop_canister and is killed, as a cancelled job would be.
    const killed = await runStep({ inputs: inputs(id, { 'stop-timeout': '600' }), timeoutMs: 4000 })
    t.net.faults.holdStopping(id, false)
    expect(killed.exitCode).not.toBe(0)
    expect(JSON.parse(killed.state['pending-restart'] ?? '')).toEqual([id.toText()])
    expect(t.net.canister(id)?.status).not.toBe('running')

    const post = await runStep({ inputs: inputs(id), state: killed.state })
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`Restarted ${id.toText()}`)
    expect(t.net.canister(id)?.status).toBe('running')
    expectNoLeak(post)

    const again = await runStep({ inputs: inputs(id), state: { 'is-post': 'true', 'pending-restart': '[]' } })
    expect(again.stdout).toContain('No canister was left stopped')
  })
})
