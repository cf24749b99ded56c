/**
 * Least-privilege backups: an identity that the canister's `snapshot_visibility` lets read its
 * snapshots (an allowed viewer, or anyone when public) lists and downloads them through the
 * action's own code path, against the emulator over HTTP, which enforces the setting as the replica
 * does. Everything that needs a controller is refused before anything is sent that could change
 * the canister, with an error that names the setting and the operation.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HttpAgent } from '@icp-sdk/core/agent'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import { loadCanisterModule } from '../emulator/canisters/index.js'
import type { Principal } from '@icp-sdk/core/principal'
import { parseIdentity, type ParsedIdentity } from '../src/core/identity.js'
import { runOperation } from '../src/core/operations/run.js'
import type { OperationRequest } from '../src/core/operations/registry.js'
import type { OperationResult } from '../src/core/operations/types.js'
import type { DownloadSelector } from '../src/core/backup/options.js'
import { ballastActor, countingContext, createBallast, downloadRequest as engineDownloadRequest, icpCli, observingContext, tempDir, TEST_RETRY } from './helpers/backup.js'
import { startTestNetwork, type TestNetwork } from './helpers/emulator.js'
import { newPem } from './helpers/keys.js'

/** The client methods behind the calls only a controller may make: none may leave a viewer's run. */
const CONTROLLER_ONLY = ['stop', 'start', 'takeSnapshot', 'loadSnapshot', 'deleteSnapshot', 'uploadCanisterSnapshotMetadata', 'uploadCanisterSnapshotData']

let t: TestNetwork
let viewer: ParsedIdentity
let stranger: ParsedIdentity

beforeAll(async () => {
  t = await startTestNetwork({ subnets: 2 })
  viewer = parseIdentity(newPem())
  stranger = parseIdentity(newPem())
})
afterAll(async () => {
  await t.close()
})

/** Runs one operation as `identity`, with every management call it makes recorded. */
async function runAs(identity: ParsedIdentity, req: OperationRequest): Promise<{ result: OperationResult; calls: string[] }> {
  const { ctx, calls } = countingContext(await t.contextAs(identity))
  return { result: await runOperation(ctx, req), calls }
}

/** A canister (on `subnet`) with 2 MiB of heap and 1 MiB of stable memory, and one snapshot of it. */
async function canisterWithSnapshot(subnet = 0): Promise<{ canisterId: Principal; checksum: bigint; snapshotId: string }> {
  const { canisterId, checksum } = await createBallast(t, 2, 1, subnet)
  const taken = await runOperation(t.context(), { operation: 'snapshot', canisters: [canisterId], replace: [], stop: true, stopTimeoutSeconds: 30, dryRun: false })
  const snapshotId = taken.results[0]?.snapshotId
  if (snapshotId === undefined) throw new Error(`setup: no snapshot taken (${taken.failure ?? ''})`)
  return { canisterId, checksum, snapshotId }
}

/** What a controller does to give a backup key read access: `allowed_viewers` through update_settings. */
async function allowViewer(canisterId: Principal, principal: string): Promise<void> {
  const agent = await HttpAgent.create({ host: t.net.url, identity: t.identity.identity, rootKey: t.net.rootKey })
  // Exported at run time, missing from the package's type declarations.
  const { SnapshotVisibilityType } = (await import('@icp-sdk/canisters/ic-management')) as unknown as { SnapshotVisibilityType: { AllowedViewers: number } }
  await IcManagementCanister.create({ agent }).updateSettings({
    canisterId,
    settings: { snapshotVisibility: { type: SnapshotVisibilityType.AllowedViewers, viewers: [principal] } } as never
  })
}

/** The test helper's download request, for the operation layer (`canisters` instead of `canister`). */
function downloadRequest(canisterId: Principal, dir: string, snapshot: 'latest' | 'new' = 'latest'): OperationRequest {
  const { canister: _canister, ...rest } = engineDownloadRequest(canisterId, dir, { snapshot: { kind: snapshot }, concurrency: 4 })
  return { ...rest, canisters: [canisterId] } as OperationRequest
}

function copyRequest(target: Principal, source: Principal, snapshot: DownloadSelector): OperationRequest {
  return {
    operation: 'copy',
    canisters: [target],
    fromRef: source.toText(),
    from: source,
    snapshot,
    safetySnapshot: true,
    stop: true,
    stopTimeoutSeconds: 30,
    dryRun: false,
    resume: false,
    retry: TEST_RETRY
  } as OperationRequest
}

/** The manifest's data files (name, size, SHA-256): equal manifests mean byte-identical backups. */
async function manifestFiles(dir: string): Promise<unknown> {
  return (JSON.parse(await readFile(path.join(dir, 'canister-snapshot-manifest.json'), 'utf8')) as { files: unknown }).files
}

function canisterState(canisterId: Principal): { status: string | undefined; snapshots: string[]; moduleHash: string | undefined } {
  const c = t.net.canister(canisterId)
  return { status: c?.status, snapshots: (c?.snapshots ?? []).map((s) => s.id), moduleHash: t.moduleHashOf(canisterId) }
}

describe('a snapshot viewer (allowed_viewers)', () => {
  it('lists and downloads byte for byte what a controller does, without one controller-only call', async () => {
    const { canisterId, snapshotId } = await canisterWithSnapshot()
    await allowViewer(canisterId, viewer.principal)
    const before = canisterState(canisterId)

    const listed = await runAs(viewer, { operation: 'list', canisters: [canisterId] })
    expect(listed.result.failure).toBeUndefined()
    expect(listed.result.principal).toBe(viewer.principal)
    expect(listed.result.results[0]?.snapshots?.map((s) => s.id)).toEqual([snapshotId])

    const viewerDir = await tempDir('viewer-download')
    const controllerDir = await tempDir('controller-download')
    const downloaded = await runAs(viewer, downloadRequest(canisterId, viewerDir))
    expect(downloaded.result.failure).toBeUndefined()
    expect(downloaded.result.results[0]?.snapshotId).toBe(snapshotId)
    const reference = await runOperation(t.context(), downloadRequest(canisterId, controllerDir))
    expect(reference.failure).toBeUndefined()
    expect(await manifestFiles(viewerDir)).toEqual(await manifestFiles(controllerDir))
    expect(await readFile(path.join(viewerDir, 'wasm_memory.bin'))).toEqual(await readFile(path.join(controllerDir, 'wasm_memory.bin')))

    // Reads only: no status preflight (a viewer may not read the status) and nothing that changes state.
    for (const calls of [listed.calls, downloaded.calls]) {
      expect(calls).not.toContain('canisterStatus')
      expect(calls.filter((m) => CONTROLLER_ONLY.includes(m))).toEqual([])
    }
    expect(downloaded.calls).toEqual(expect.arrayContaining(['listSnapshots', 'readCanisterSnapshotMetadata', 'readCanisterSnapshotData']))
    expect(canisterState(canisterId)).toEqual(before)
  })

  it.each([
    ['snapshot', 'snapshot', (c: Principal): OperationRequest => ({ operation: 'snapshot', canisters: [c], replace: [], stop: true, stopTimeoutSeconds: 30, dryRun: false })],
    ['rollback', 'rollback', (c: Principal): OperationRequest => ({ operation: 'rollback', canisters: [c], snapshot: { kind: 'latest' }, safetySnapshot: true, stopTimeoutSeconds: 30, dryRun: false })],
    ['delete', 'delete', (c: Principal): OperationRequest => ({ operation: 'delete', canisters: [c], snapshot: { kind: 'latest' }, dryRun: false })],
    ['prune', 'prune', (c: Principal): OperationRequest => ({ operation: 'prune', canisters: [c], policy: { keep: 1, protect: new Set() }, dryRun: false })],
    ['prune (dry run)', 'prune', (c: Principal): OperationRequest => ({ operation: 'prune', canisters: [c], policy: { maxAgeMs: 1, protect: new Set() }, dryRun: true })],
    ['download (snapshot-id: new)', 'download (snapshot-id: new)', (c: Principal, dir: string): OperationRequest => downloadRequest(c, dir, 'new')]
  ] as const)("is refused '%s' up front, naming snapshot_visibility, with the canister untouched", async (_label, operation, request) => {
    const { canisterId, checksum } = await canisterWithSnapshot()
    await allowViewer(canisterId, viewer.principal)
    const before = canisterState(canisterId)

    const { result, calls } = await runAs(viewer, request(canisterId, await tempDir('viewer-refused')))
    expect(result.results.map((r) => [r.outcome, r.errorName])).toEqual([['failed', 'ViewerNotControllerError']])
    expect(result.failure).toContain(`Identity ${viewer.principal} may read the snapshots of canister ${canisterId.toText()} (its snapshot_visibility allows it)`)
    expect(result.failure).toContain(`'${operation}' needs a controller`)
    expect(result.failure).not.toContain('\n')
    expect(calls.filter((m) => CONTROLLER_ONLY.includes(m))).toEqual([])
    expect(canisterState(canisterId)).toEqual(before)
    expect(await (await ballastActor(t, canisterId)).checksum()).toBe(checksum)
  })

  it('is refused an upload before a snapshot is created, and a copy onto a canister it only views', async () => {
    const { canisterId, snapshotId } = await canisterWithSnapshot()
    const other = await canisterWithSnapshot(1)
    await allowViewer(canisterId, viewer.principal)
    await allowViewer(other.canisterId, viewer.principal)
    const dir = await tempDir('viewer-upload')
    expect((await runAs(viewer, downloadRequest(canisterId, dir))).result.failure).toBeUndefined()
    const before = [canisterState(canisterId), canisterState(other.canisterId)]

    const upload = await runAs(viewer, { operation: 'upload', canisters: [canisterId], path: dir, decryption: undefined, replace: undefined, load: true, concurrency: 4, resume: false, stopTimeoutSeconds: 30, retry: TEST_RETRY } as OperationRequest)
    expect(upload.result.results[0]?.errorName).toBe('ViewerNotControllerError')
    expect(upload.result.failure).toContain("'upload' needs a controller")
    // Refused at the checks: nothing was uploaded, so nothing was read back.
    expect(upload.calls).not.toContain('readCanisterSnapshotMetadata')

    const copy = await runAs(viewer, copyRequest(other.canisterId, canisterId, { kind: 'id', id: snapshotId }))
    // The source would only be read: a viewer may; the target it would change: a viewer may not.
    expect(copy.result.results.map((r) => [r.canisterId, r.outcome, r.errorName])).toEqual([
      [other.canisterId.toText(), 'failed', 'ViewerNotControllerError'],
      [canisterId.toText(), 'skipped', undefined]
    ])
    expect(copy.result.failure).toContain("'copy' needs a controller")
    for (const calls of [upload.calls, copy.calls]) expect(calls.filter((m) => CONTROLLER_ONLY.includes(m))).toEqual([])
    expect([canisterState(canisterId), canisterState(other.canisterId)]).toEqual(before)
  })
})

describe('copy from a canister the identity only views', () => {
  it('streams it onto a canister it controls, on the same subnet too (the direct load needs a controller of both)', async () => {
    const source = await canisterWithSnapshot(0)
    await allowViewer(source.canisterId, viewer.principal)
    const target = await t.net.createCanister({ controllers: [viewer.identity.getPrincipal()], wasmModule: await loadCanisterModule('ballast'), subnet: 0 })
    const sourceBefore = canisterState(source.canisterId)

    const changed: string[] = []
    const ctx = observingContext(await t.contextAs(viewer), (method, args) => {
      if (!CONTROLLER_ONLY.includes(method)) return
      const arg = args[0] as Principal | { canisterId: Principal }
      changed.push(`${method} ${('canisterId' in arg ? arg.canisterId : arg).toText()}`)
    })
    const result = await runOperation(ctx, copyRequest(target, source.canisterId, { kind: 'latest' }))
    expect(result.failure).toBeUndefined()
    expect(result.results[0]?.note).toContain(`from ${source.canisterId.toText()} snapshot ${source.snapshotId}, streamed (its snapshots are only readable to this identity)`)
    // Every change went to the target; the source was only read.
    expect(changed.length).toBeGreaterThan(0)
    expect(changed.filter((c) => !c.endsWith(target.toText()))).toEqual([])
    expect(await (await ballastActor(t, target)).checksum()).toBe(source.checksum)
    expect(canisterState(target).status).toBe('running')
    expect(canisterState(target).moduleHash).toBe(sourceBefore.moduleHash)
    expect(canisterState(source.canisterId)).toEqual(sourceBefore)
  })

  it("is refused 'snapshot-id: new' of it: taking a snapshot needs a controller", async () => {
    const source = await canisterWithSnapshot(0)
    await allowViewer(source.canisterId, viewer.principal)
    const target = await t.net.createCanister({ controllers: [viewer.identity.getPrincipal()], wasmModule: await loadCanisterModule('ballast'), subnet: 1 })
    const before = [canisterState(source.canisterId), canisterState(target)]
    const { result } = await runAs(viewer, copyRequest(target, source.canisterId, { kind: 'new' }))
    expect(result.results.map((r) => [r.canisterId, r.outcome, r.errorName])).toEqual([
      [target.toText(), 'skipped', undefined],
      [source.canisterId.toText(), 'failed', 'ViewerNotControllerError']
    ])
    expect([canisterState(source.canisterId), canisterState(target)]).toEqual(before)
  })
})

describe('snapshot_visibility: public', () => {
  it('lets any identity list and download, set with `icp canister settings update --snapshot-visibility public`', async () => {
    const { canisterId, snapshotId } = await canisterWithSnapshot()
    const icp = await icpCli(t)
    try {
      await icp.ok('canister', 'settings', 'update', canisterId.toText(), '--snapshot-visibility', 'public')
    } finally {
      await icp.close()
    }
    const anyone = parseIdentity(newPem())
    const listed = await runAs(anyone, { operation: 'list', canisters: [canisterId] })
    expect(listed.result.results[0]?.snapshots?.map((s) => s.id)).toEqual([snapshotId])
    const dir = await tempDir('public-download')
    const downloaded = await runAs(anyone, downloadRequest(canisterId, dir))
    expect(downloaded.result.failure).toBeUndefined()
    expect(downloaded.result.results[0]?.snapshotId).toBe(snapshotId)

    // Public reads, still no public writes.
    const taken = await runAs(anyone, { operation: 'snapshot', canisters: [canisterId], replace: [], stop: true, stopTimeoutSeconds: 30, dryRun: false })
    expect(taken.result.results[0]?.errorName).toBe('ViewerNotControllerError')
    expect(canisterState(canisterId).snapshots).toEqual([snapshotId])
  })
})

describe('an identity that is neither controller nor viewer', () => {
  it('is told to add itself as a snapshot viewer when it lists or downloads', async () => {
    const { canisterId } = await canisterWithSnapshot()
    await allowViewer(canisterId, viewer.principal)
    const fix = `icp canister settings update ${canisterId.toText()} --add-snapshot-viewer ${stranger.principal}`

    const listed = await runAs(stranger, { operation: 'list', canisters: [canisterId] })
    expect(listed.result.results[0]?.errorName).toBe('NotASnapshotViewerError')
    expect(listed.result.failure).toContain(`Identity ${stranger.principal} is neither a controller of canister ${canisterId.toText()} nor allowed by its snapshot_visibility`)
    expect(listed.result.failure).toContain(fix)

    const downloaded = await runAs(stranger, downloadRequest(canisterId, await tempDir('stranger-download')))
    expect(downloaded.result.results[0]?.errorName).toBe('NotASnapshotViewerError')
    expect(downloaded.result.failure).toContain(fix)
  })

  it('is told to become a controller when it tries to change the canister', async () => {
    const { canisterId } = await canisterWithSnapshot()
    const before = canisterState(canisterId)
    const taken = await runAs(stranger, { operation: 'snapshot', canisters: [canisterId], replace: [], stop: true, stopTimeoutSeconds: 30, dryRun: false })
    expect(taken.result.results[0]?.errorName).toBe('NotAControllerError')
    expect(taken.result.failure).toContain(`--add-controller ${stranger.principal}`)
    expect(canisterState(canisterId)).toEqual(before)
  })
})
