import { describe, expect, it } from '@jest/globals'
import { Principal } from '@icp-sdk/core/principal'
import { InputError } from '../src/core/errors.js'
import { resolveCanisterRefs } from '../src/core/inputs/canisters.js'
import { parseInputs } from '../src/core/inputs/parse.js'

const A = 'rwlgt-iiaaa-aaaaa-aaaaa-cai'
const B = 'rrkah-fqaaa-aaaaa-aaaaq-cai'
/** Snapshot 1 of canister A: counter 1, then A's principal bytes. */
const SNAP_A = `0000000000000001${Buffer.from(Principal.fromText(A).toUint8Array()).toString('hex')}`
const SNAP_B = `0000000000000002${Buffer.from(Principal.fromText(B).toUint8Array()).toString('hex')}`
const PEM = '-----BEGIN EC PRIVATE KEY-----\nMHQCAQEEI...\n-----END EC PRIVATE KEY-----\n'

const resolvePrincipals = async (...args: Parameters<typeof resolveCanisterRefs>): Promise<Principal[]> => (await resolveCanisterRefs(...args)).map((r) => r.principal)

function reader(values: Record<string, string>): (name: string) => string {
  const all: Record<string, string> = { canister: A, identity: PEM, ...values }
  return (name) => all[name] ?? ''
}

describe('parseInputs', () => {
  it('defaults to a stopping snapshot on mainnet', () => {
    const inputs = parseInputs(reader({}))
    expect(inputs.canisterRefs).toEqual([A])
    expect(inputs.network.name).toBe('ic')
    expect(inputs.timeoutSeconds).toBe(600)
    expect(inputs.concurrency).toBe(8)
    expect(inputs.identityPem).toBe(PEM.trim())
    expect(inputs.identityPassword).toBeUndefined()
    expect(inputs.command).toEqual({ operation: 'snapshot', replace: [], stop: true, stopTimeoutSeconds: 300, dryRun: false, consistent: true })
  })

  it('splits canisters on newlines, commas and spaces', async () => {
    const inputs = parseInputs(reader({ canister: `${A},\n ${B}` }))
    expect(inputs.canisterRefs).toEqual([A, B])
    expect((await resolvePrincipals(inputs, '/nonexistent')).map((p) => p.toText())).toEqual([A, B])
  })

  it('parses rollback with restore alias, latest and safety snapshot', () => {
    const inputs = parseInputs(reader({ operation: 'restore', 'snapshot-id': 'LATEST', 'safety-snapshot': 'False', 'stop-timeout': '30' }))
    expect(inputs.command).toEqual({ operation: 'rollback', snapshot: { kind: 'latest' }, safetySnapshot: false, stopTimeoutSeconds: 30, dryRun: false })
  })

  it('parses explicit IDs, replace, stop false and dry-run', () => {
    expect(parseInputs(reader({ operation: 'delete', 'snapshot-id': `0x${SNAP_A.toUpperCase()}`, 'dry-run': 'true' })).command).toEqual({
      operation: 'delete',
      snapshot: { kind: 'ids', ids: [SNAP_A] },
      dryRun: true
    })
    expect(parseInputs(reader({ canister: `${A} ${B}`, replace: `${SNAP_A}\n${SNAP_B}`, stop: 'false' })).command).toMatchObject({
      operation: 'snapshot',
      replace: [SNAP_A, SNAP_B],
      stop: false
    })
    expect(parseInputs(reader({ operation: 'list', network: 'local', concurrency: '3', timeout: '60' }))).toMatchObject({
      command: { operation: 'list' },
      concurrency: 3,
      timeoutSeconds: 60,
      network: { name: 'local' }
    })
  })

  it.each([
    ['canister', { canister: '' }],
    ['canister', { canister: ' , \n' }],
    ['canister', { canister: `${A} ${A}` }],
    ['operation', { operation: 'backup-everything' }],
    ['keep', { keep: '11' }],
    ['keep', { keep: '0' }],
    ['max-age', { 'max-age': 'forever' }],
    ['min-cycles', { 'min-cycles': 'lots' }],
    ['consistent', { consistent: 'sometimes' }],
    ['identity', { identity: '   ' }],
    ['snapshot-id', { operation: 'rollback' }],
    ['snapshot-id', { operation: 'delete', 'snapshot-id': 'xyz' }],
    ['snapshot-id', { operation: 'delete', 'snapshot-id': 'abc' }],
    ['snapshot-id', { operation: 'delete', 'snapshot-id': '00'.repeat(8) }],
    ['snapshot-id', { operation: 'delete', 'snapshot-id': '00'.repeat(40) }],
    ['snapshot-id', { operation: 'snapshot', 'snapshot-id': SNAP_A }],
    ['replace', { replace: 'not-hex' }],
    ['replace', { operation: 'rollback', 'snapshot-id': 'latest', replace: SNAP_A }],
    ['stop', { stop: 'yes' }],
    ['safety-snapshot', { operation: 'rollback', 'snapshot-id': 'latest', 'safety-snapshot': '1' }],
    ['dry-run', { 'dry-run': 'maybe' }],
    ['dry-run', { operation: 'list', 'dry-run': 'maybe' }],
    ['stop-timeout', { operation: 'delete', 'snapshot-id': 'latest', 'stop-timeout': '0' }],
    ['timeout', { timeout: '0' }],
    ['timeout', { timeout: '-5' }],
    ['timeout', { timeout: '1.5' }],
    ['stop-timeout', { 'stop-timeout': 'abc' }],
    ['concurrency', { concurrency: '1000' }],
    ['network', { network: 'mainnet' }],
    ['root-key', { network: 'http://192.168.1.10:4943' }],
    ['root-key', { network: 'ic', 'root-key': 'fetch' }]
  ] as const)('names %s in the error for %j', (input, values) => {
    let caught: unknown
    try {
      parseInputs(reader(values))
    } catch (error: unknown) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InputError)
    expect((caught as InputError).input).toBe(input)
    expect((caught as InputError).message).toMatch(new RegExp(`^Input '${input}' must be .+\\.$`))
    expect((caught as InputError).message).not.toContain('\n')
  })

  it('rejects a principal with a bad checksum, naming the input', async () => {
    const inputs = parseInputs(reader({ canister: 'rwlgt-iiaaa-aaaaa-aaaaa-caj' }))
    await expect(resolvePrincipals(inputs, '/nonexistent')).rejects.toThrow(/^Input 'canister' must be a valid principal/)
  })

  it('parses retention, cycles and consistency for snapshot, and requires a policy for prune', () => {
    expect(parseInputs(reader({ keep: '3', 'max-age': '14d', protect: SNAP_A, 'min-cycles': '1.5T', consistent: 'false' })).command).toMatchObject({
      operation: 'snapshot',
      consistent: false,
      minCycles: 1_500_000_000_000n,
      retention: { keep: 3, maxAgeMs: 14 * 86_400_000, protect: new Set([SNAP_A]) }
    })
    expect(parseInputs(reader({ operation: 'prune', keep: '2', 'dry-run': 'true' })).command).toMatchObject({ operation: 'prune', policy: { keep: 2 }, dryRun: true })
    expect(() => parseInputs(reader({ operation: 'prune' }))).toThrow(/^Input 'keep' must be set \(or 'max-age'\) for operation 'prune'/)
  })

  it('parses download and upload options and records the tool in the request', () => {
    expect(parseInputs(reader({ operation: 'download', 'snapshot-id': 'new', path: 'backup' })).command).toMatchObject({
      operation: 'download',
      snapshot: { kind: 'new' },
      path: 'backup',
      stop: true,
      network: 'ic',
      tool: { name: 'canister-snapshot-action' }
    })
    expect(parseInputs(reader({ operation: 'upload', path: 'backup.tar', load: 'true' })).command).toMatchObject({ operation: 'upload', path: 'backup.tar', load: true })
  })
})
