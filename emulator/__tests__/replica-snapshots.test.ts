import { describe, expect, test } from '@jest/globals'
import { IDL } from '@icp-sdk/core/candid'
import { createHash } from 'node:crypto'
import type { IcReplica } from '../src/replica/index.js'
import type { Principal } from '@icp-sdk/core/principal'
import { createTopology } from '../src/http/network.js'
import { canisterIdFromIndex, makeSnapshotId } from '../src/replica/ids.js'
import {
  ALICE,
  BOB,
  CAROL,
  expectReject,
  getProbe,
  hex,
  mgmt,
  mgmtOk,
  newReplica,
  probeCanister,
  probeModule,
  setProbe,
  takeSnapshot,
  utf8
} from './replica-fixtures.js'

const DATA_KINDS = ['wasm_module', 'wasm_memory', 'stable_memory'] as const
type DataKind = (typeof DATA_KINDS)[number]

interface Metadata {
  source: { taken_from_canister: null } | { metadata_upload: null }
  taken_at_timestamp: bigint
  wasm_module_size: bigint
  globals: Array<Record<string, unknown>>
  wasm_memory_size: bigint
  stable_memory_size: bigint
  canister_version: bigint
  certified_data: Uint8Array
  global_timer: unknown[]
  on_low_wasm_memory_hook_status: unknown[]
}

async function readMetadata(replica: IcReplica, sender: Principal, canister: Principal, snapshot: Uint8Array): Promise<Metadata> {
  const [metadata] = await mgmtOk(replica, sender, 'read_canister_snapshot_metadata', { canister_id: canister, snapshot_id: snapshot })
  return metadata as Metadata
}

/** Downloads one blob of a snapshot in 2,000,000-byte slices, as dfx and icp-cli do. */
async function download(replica: IcReplica, sender: Principal, canister: Principal, snapshot: Uint8Array, kind: DataKind, size: bigint): Promise<Uint8Array> {
  const out = new Uint8Array(Number(size))
  for (let offset = 0n; offset < size; offset += 2_000_000n) {
    const slice = size - offset < 2_000_000n ? size - offset : 2_000_000n
    const [{ chunk }] = (await mgmtOk(replica, sender, 'read_canister_snapshot_data', {
      canister_id: canister,
      snapshot_id: snapshot,
      kind: { [kind]: { offset, size: slice } }
    })) as [{ chunk: Uint8Array }]
    out.set(chunk, Number(offset))
  }
  return out
}

async function downloadAll(replica: IcReplica, sender: Principal, canister: Principal, snapshot: Uint8Array) {
  const metadata = await readMetadata(replica, sender, canister, snapshot)
  const sizes = { wasm_module: metadata.wasm_module_size, wasm_memory: metadata.wasm_memory_size, stable_memory: metadata.stable_memory_size }
  const blobs = {} as Record<DataKind, Uint8Array>
  for (const kind of DATA_KINDS) blobs[kind] = await download(replica, sender, canister, snapshot, kind, sizes[kind])
  return { metadata, blobs }
}

async function list(replica: IcReplica, sender: Principal, canister: Principal): Promise<string[]> {
  const [snapshots] = (await mgmtOk(replica, sender, 'list_canister_snapshots', { canister_id: canister })) as [Array<{ id: Uint8Array }>]
  return snapshots.map((s) => hex(s.id))
}

describe('take_canister_snapshot and list_canister_snapshots', () => {
  test('ids are an 8-byte big-endian counter followed by the canister id, and list agrees with the state', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('hello'))
    const first = await takeSnapshot(replica, ALICE, canister)
    const second = await takeSnapshot(replica, ALICE, canister)

    const principal = hex(canister.toUint8Array())
    expect(hex(first.id)).toBe(`0000000000000000${principal}`)
    expect(hex(second.id)).toBe(`0000000000000001${principal}`)
    expect(second.taken_at_timestamp).toBeGreaterThan(first.taken_at_timestamp)
    expect(first.total_size).toBeGreaterThan(65_536n * 2n)
    expect(await list(replica, ALICE, canister)).toEqual([hex(first.id), hex(second.id)])
    expect(replica.canister(canister)?.snapshots).toEqual([
      { id: hex(first.id), takenAt: first.taken_at_timestamp, totalSize: first.total_size },
      { id: hex(second.id), takenAt: second.taken_at_timestamp, totalSize: second.total_size }
    ])
  })

  test('the 11th snapshot is refused with the IC message, and replacing still works at the limit', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const taken = []
    for (let i = 0; i < 10; i++) taken.push(await takeSnapshot(replica, ALICE, canister))

    const eleventh = await mgmt(replica, ALICE, 'take_canister_snapshot', {
      canister_id: canister, replace_snapshot: [], uninstall_code: [], sender_canister_version: []
    })
    expectReject(
      eleventh,
      'IC0406',
      `Canister ${canister.toText()} has reached the maximum number of snapshots allowed: 10.\n` +
        'Consider deleting an unnecessary snapshot of the specified canister before creating a new one. See documentation: canister-snapshot-limit-exceeded'
    )
    const replacement = await takeSnapshot(replica, ALICE, canister, { replace: taken[0].id })
    expect(await list(replica, ALICE, canister)).toHaveLength(10)
    expect(await list(replica, ALICE, canister)).toContain(hex(replacement.id))
  })

  test('replace_snapshot returns a new id and removes the old one', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const old = await takeSnapshot(replica, ALICE, canister)
    const keep = await takeSnapshot(replica, ALICE, canister)
    const replacement = await takeSnapshot(replica, ALICE, canister, { replace: old.id })

    expect(hex(replacement.id)).not.toBe(hex(old.id))
    expect(hex(replacement.id).slice(0, 16)).toBe('0000000000000002')
    expect(await list(replica, ALICE, canister)).toEqual([hex(keep.id), hex(replacement.id)])
    const again = await mgmt(replica, ALICE, 'delete_canister_snapshot', { canister_id: canister, snapshot_id: old.id })
    expectReject(
      again,
      'IC0305',
      `Could not find the snapshot ID ${canister.toText()}-0 for canister ${canister.toText()}.\n` +
        'Use the `list_canister_snapshot` API to see which snapshots are present. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#canister-snapshot-not-found'
    )
  })

  test('an empty canister cannot be snapshotted', async () => {
    const replica = newReplica()
    const canister = await replica.createCanister({ controllers: [ALICE] })
    const result = await mgmt(replica, ALICE, 'take_canister_snapshot', {
      canister_id: canister, replace_snapshot: [], uninstall_code: [], sender_canister_version: []
    })
    expectReject(result, 'IC0406', `Failed to create snapshot for empty canister ${canister.toText()}:`)
  })

  test('uninstall_code empties the canister after the snapshot and keeps the snapshot', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const snapshot = await takeSnapshot(replica, ALICE, canister, { uninstall: true })
    expect(replica.canister(canister)?.moduleHash).toBeUndefined()
    expect(await list(replica, ALICE, canister)).toEqual([hex(snapshot.id)])
  })

  test('the canister may be running or stopped when a snapshot is taken', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    expect(replica.canister(canister)?.status).toBe('running')
    await takeSnapshot(replica, ALICE, canister)
    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: canister })
    await takeSnapshot(replica, ALICE, canister)
    expect(await list(replica, ALICE, canister)).toHaveLength(2)
  })
})

describe('snapshots of another canister', () => {
  test('are refused for delete, replace, read and upload with the ownership message', async () => {
    const replica = newReplica()
    const mine = await probeCanister(replica, ALICE, utf8('mine'))
    const other = await probeCanister(replica, ALICE, utf8('other'))
    const foreign = await takeSnapshot(replica, ALICE, other)
    const ownership =
      `The snapshot ${other.toText()}-0 does not belong to canister ${mine.toText()}.\n` +
      'Use the `list_canister_snapshot` API to see which snapshots are present. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#canister-snapshot-invalid-ownership'

    expectReject(await mgmt(replica, ALICE, 'delete_canister_snapshot', { canister_id: mine, snapshot_id: foreign.id }), 'IC0406', ownership)
    expectReject(
      await mgmt(replica, ALICE, 'take_canister_snapshot', { canister_id: mine, replace_snapshot: [foreign.id], uninstall_code: [], sender_canister_version: [] }),
      'IC0406',
      ownership
    )
    expectReject(await mgmt(replica, ALICE, 'read_canister_snapshot_metadata', { canister_id: mine, snapshot_id: foreign.id }), 'IC0406', ownership)
    expectReject(
      await mgmt(replica, ALICE, 'upload_canister_snapshot_data', { canister_id: mine, snapshot_id: foreign.id, kind: { wasm_module: { offset: 0n } }, chunk: new Uint8Array(1) }),
      'IC0406',
      ownership
    )
    expect(await list(replica, ALICE, other)).toEqual([hex(foreign.id)])
  })
})

describe('read_canister_snapshot_metadata and read_canister_snapshot_data', () => {
  test('report the captured state: globals, memories, certified data, version', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('state of the art'))
    const version = replica.canister(canister)?.version
    const snapshot = await takeSnapshot(replica, ALICE, canister)
    const { metadata, blobs } = await downloadAll(replica, ALICE, canister, snapshot.id)

    expect(metadata.source).toEqual({ taken_from_canister: null })
    expect(metadata.taken_at_timestamp).toBe(snapshot.taken_at_timestamp)
    expect(metadata.canister_version).toBe(version)
    // Exported or mutable globals, in module order: counter, big, and the private length (16).
    expect(metadata.globals).toEqual([{ i32: 1 }, { i64: 1_000_000_007n }, { i32: 16 }])
    expect(metadata.wasm_memory_size).toBe(65_536n)
    expect(metadata.stable_memory_size).toBe(65_536n)
    expect(Buffer.from(metadata.certified_data).toString()).toBe('state of the art')
    expect(blobs.wasm_module).toEqual(await probeModule(1))
    expect(Buffer.from(blobs.wasm_memory.subarray(4096, 4096 + 16)).toString()).toBe('state of the art')
    expect(Buffer.from(blobs.stable_memory.subarray(0, 16)).toString()).toBe('state of the art')
  })

  test('a slice over 2,000,000 bytes and a slice past the end are refused with the IC wording', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const snapshot = await takeSnapshot(replica, ALICE, canister)
    const read = (kind: Record<string, unknown>) =>
      mgmt(replica, ALICE, 'read_canister_snapshot_data', { canister_id: canister, snapshot_id: snapshot.id, kind })

    expectReject(await read({ wasm_memory: { offset: 0n, size: 2_000_001n } }), 'IC0408', 'Requested slice too large: 2000001 > 2000000')
    expectReject(
      await read({ stable_memory: { offset: 65_000n, size: 537n } }),
      'IC0408',
      'Invalid subslice into wasm module / main memory / stable memory: offset: 65000, size: 537'
    )
    const [{ chunk }] = (await mgmtOk(replica, ALICE, 'read_canister_snapshot_data', {
      canister_id: canister, snapshot_id: snapshot.id, kind: { stable_memory: { offset: 65_000n, size: 536n } }
    })) as [{ chunk: Uint8Array }]
    expect(chunk).toHaveLength(536)
  })
})

describe('load_canister_snapshot', () => {
  test('restores heap, stable memory, globals, certified data and module exactly, and bumps the version', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('before'))
    const snapshot = await takeSnapshot(replica, ALICE, canister)
    const original = await downloadAll(replica, ALICE, canister, snapshot.id)

    await setProbe(replica, ALICE, canister, utf8('after, and longer'))
    await mgmtOk(replica, ALICE, 'install_code', {
      mode: { upgrade: [] }, canister_id: canister, wasm_module: await probeModule(2), arg: IDL.encode([], []), sender_canister_version: []
    })
    // A taken snapshot does not follow the canister.
    expect((await downloadAll(replica, ALICE, canister, snapshot.id)).blobs).toEqual(original.blobs)
    expect(hex(replica.canister(canister)?.moduleHash ?? new Uint8Array())).toBe(sha256(await probeModule(2)))
    const versionBefore = replica.canister(canister)?.version ?? 0n

    await mgmtOk(replica, ALICE, 'load_canister_snapshot', { canister_id: canister, snapshot_id: snapshot.id, sender_canister_version: [] })

    expect(replica.canister(canister)?.version).toBe(versionBefore + 1n)
    expect(hex(replica.canister(canister)?.moduleHash ?? new Uint8Array())).toBe(sha256(await probeModule(1)))
    expect(getProbe(replica, canister)).toEqual({ counter: 1, stored: utf8('before') })
    const retaken = await takeSnapshot(replica, ALICE, canister)
    const restored = await downloadAll(replica, ALICE, canister, retaken.id)
    expect(restored.blobs).toEqual(original.blobs)
    expect(restored.metadata.globals).toEqual(original.metadata.globals)
    expect(restored.metadata.certified_data).toEqual(original.metadata.certified_data)
  })

  test('loads a snapshot of another canister when the caller controls both', async () => {
    const replica = newReplica()
    const source = await probeCanister(replica, ALICE, utf8('from the source'))
    const target = await probeCanister(replica, ALICE, utf8('target'))
    const snapshot = await takeSnapshot(replica, ALICE, source)

    await mgmtOk(replica, ALICE, 'load_canister_snapshot', { canister_id: target, snapshot_id: snapshot.id, sender_canister_version: [] })

    expect(getProbe(replica, target)).toEqual({ counter: 1, stored: utf8('from the source') })
    expect(await list(replica, ALICE, target)).toEqual([])
    expect(await list(replica, ALICE, source)).toEqual([hex(snapshot.id)])
  })

  test('refuses a snapshot of a canister the caller does not control', async () => {
    const replica = newReplica()
    const source = await probeCanister(replica, BOB, utf8('bob'))
    const target = await probeCanister(replica, ALICE, utf8('alice'))
    const snapshot = await takeSnapshot(replica, BOB, source)

    const result = await mgmt(replica, ALICE, 'load_canister_snapshot', { canister_id: target, snapshot_id: snapshot.id, sender_canister_version: [] })

    expectReject(
      result,
      'IC0406',
      `Only a controller of the canister that snapshot ${source.toText()}-0 belongs to can load it on canister ${target.toText()}. Sender: ${ALICE.toText()}.\n` +
        'Make sure you are a controller of the canister that the snapshot belongs to. See documentation: canister-snapshot-not-controller'
    )
    expect(getProbe(replica, target).stored).toEqual(utf8('alice'))
  })

  test('checks the target first: a caller who controls only the source gets IC0512 for the target', async () => {
    const replica = newReplica()
    const source = await probeCanister(replica, ALICE, utf8('alice'))
    const target = await probeCanister(replica, BOB, utf8('bob'))
    const snapshot = await takeSnapshot(replica, ALICE, source)

    const result = await mgmt(replica, ALICE, 'load_canister_snapshot', { canister_id: target, snapshot_id: snapshot.id, sender_canister_version: [] })

    expectReject(result, 'IC0512', new RegExp(`^Only the controllers of the canister ${target.toText()} can control it\\.`))
    expect(getProbe(replica, target).stored).toEqual(utf8('bob'))
  })

  test('a snapshot ID naming a canister that does not exist (or no longer does) is not found, naming the target', async () => {
    const replica = newReplica()
    const target = await probeCanister(replica, ALICE, utf8('target'))
    const gone = await probeCanister(replica, ALICE, utf8('gone'))
    const snapshot = await takeSnapshot(replica, ALICE, gone)
    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: gone })
    await mgmtOk(replica, ALICE, 'delete_canister', { canister_id: gone })
    // A well-formed snapshot ID of a canister ID in the emulator's range that was never created.
    const neverCreated = canisterIdFromIndex(999n)
    expect(replica.canister(neverCreated)).toBeUndefined()

    for (const [id, owner] of [[snapshot.id, gone], [makeSnapshotId(neverCreated, 0n).bytes, neverCreated]] as const) {
      const result = await mgmt(replica, ALICE, 'load_canister_snapshot', { canister_id: target, snapshot_id: id, sender_canister_version: [] })
      expectReject(
        result,
        'IC0305',
        `Could not find the snapshot ID ${owner.toText()}-0 for canister ${target.toText()}.\n` +
          'Use the `list_canister_snapshot` API to see which snapshots are present. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#canister-snapshot-not-found'
      )
    }
    expect(getProbe(replica, target).stored).toEqual(utf8('target'))
  })

  test('a snapshot of a canister on another subnet is not found there, even for a controller of both', async () => {
    // Two subnets as the emulator builds them: `source` gets an id of the second one's range.
    const replica = newReplica({ topology: await createTopology('replica-snapshots-test', true, 2) })
    const source = await replica.createCanister({ controllers: [ALICE], wasmModule: await probeModule(1), subnet: 1 })
    await setProbe(replica, ALICE, source, utf8('elsewhere'))
    const target = await probeCanister(replica, ALICE, utf8('here'))
    const snapshot = await takeSnapshot(replica, ALICE, source)
    expect(replica.sameSubnet(source, target)).toBe(false)

    const notFound = `Could not find the snapshot ID ${source.toText()}-0 for canister ${target.toText()}.`
    expectReject(
      await mgmt(replica, ALICE, 'load_canister_snapshot', { canister_id: target, snapshot_id: snapshot.id, sender_canister_version: [] }),
      'IC0305',
      new RegExp(`^${notFound.replace(/[.]/g, '\\.')}`)
    )
    // Ownership cannot even be judged: the target's subnet does not hold the snapshot.
    expectReject(
      await mgmt(replica, ALICE, 'read_canister_snapshot_metadata', { canister_id: target, snapshot_id: snapshot.id }),
      'IC0305',
      new RegExp(`^${notFound.replace(/[.]/g, '\\.')}`)
    )
    expect(getProbe(replica, target).stored).toEqual(utf8('here'))
    // The source's own subnet still serves it.
    await mgmtOk(replica, ALICE, 'load_canister_snapshot', { canister_id: source, snapshot_id: snapshot.id, sender_canister_version: [] })
  })
})

describe('snapshot_visibility', () => {
  async function setVisibility(replica: IcReplica, canister: Principal, visibility: Record<string, unknown>): Promise<void> {
    await mgmtOk(replica, ALICE, 'update_settings', {
      canister_id: canister, settings: { controllers: [], freezing_threshold: [], snapshot_visibility: [visibility] }, sender_canister_version: []
    })
  }

  /** The three reads the setting governs, as `caller`; the IC error code of each, or 'ok'. */
  async function reads(replica: IcReplica, caller: Principal, canister: Principal, snapshot: Uint8Array): Promise<string[]> {
    const results = [
      await mgmt(replica, caller, 'list_canister_snapshots', { canister_id: canister }),
      await mgmt(replica, caller, 'read_canister_snapshot_metadata', { canister_id: canister, snapshot_id: snapshot }),
      await mgmt(replica, caller, 'read_canister_snapshot_data', {
        canister_id: canister, snapshot_id: snapshot, kind: { stable_memory: { offset: 0n, size: 16n } }
      })
    ]
    return results.map((r) => ('reply' in r ? 'ok' : r.reject.errorCode))
  }

  test('controllers (the default): a non-controller can neither list nor read, with the controller message', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('private'))
    const snapshot = await takeSnapshot(replica, ALICE, canister)

    expect(await reads(replica, ALICE, canister, snapshot.id)).toEqual(['ok', 'ok', 'ok'])
    expect(await reads(replica, BOB, canister, snapshot.id)).toEqual(['IC0512', 'IC0512', 'IC0512'])
    expectReject(
      await mgmt(replica, BOB, 'list_canister_snapshots', { canister_id: canister }),
      'IC0512',
      `Only the controllers of the canister ${canister.toText()} can control it.\nCanister's controllers: ${ALICE.toText()}\nSender's ID: ${BOB.toText()}\n` +
        'Execute this call from a controller of the target canister or add the current caller as a controller. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#invalid-controller'
    )
  })

  test('allowed_viewers: a viewer lists and reads metadata and data (the same bytes), anyone else is refused', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('for the auditors'))
    const snapshot = await takeSnapshot(replica, ALICE, canister)
    await setVisibility(replica, canister, { allowed_viewers: [BOB] })

    expect(await reads(replica, BOB, canister, snapshot.id)).toEqual(['ok', 'ok', 'ok'])
    expect(await reads(replica, ALICE, canister, snapshot.id)).toEqual(['ok', 'ok', 'ok'])
    expect(await reads(replica, CAROL, canister, snapshot.id)).toEqual(['IC0512', 'IC0512', 'IC0512'])
    expect(await list(replica, BOB, canister)).toEqual([hex(snapshot.id)])
    expect(await downloadAll(replica, BOB, canister, snapshot.id)).toEqual(await downloadAll(replica, ALICE, canister, snapshot.id))
  })

  test('public: anyone lists and reads; back to controllers revokes it', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('open'))
    const snapshot = await takeSnapshot(replica, ALICE, canister)
    await setVisibility(replica, canister, { public: null })
    expect(await reads(replica, CAROL, canister, snapshot.id)).toEqual(['ok', 'ok', 'ok'])

    await setVisibility(replica, canister, { controllers: null })
    expect(await reads(replica, CAROL, canister, snapshot.id)).toEqual(['IC0512', 'IC0512', 'IC0512'])
  })

  test('a viewer still gets not-found and ownership errors for snapshots it names wrongly', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const other = await probeCanister(replica, ALICE, utf8('y'))
    const foreign = await takeSnapshot(replica, ALICE, other)
    await setVisibility(replica, canister, { allowed_viewers: [BOB] })

    expectReject(await mgmt(replica, BOB, 'read_canister_snapshot_metadata', { canister_id: canister, snapshot_id: foreign.id }), 'IC0406', /does not belong to canister/)
    // Visibility is per canister: BOB sees nothing of `other`.
    expectReject(await mgmt(replica, BOB, 'read_canister_snapshot_metadata', { canister_id: other, snapshot_id: foreign.id }), 'IC0512')
  })

  test('a viewer can never take, load, delete, upload, stop, start or change settings, and nothing changes', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('guarded'))
    const snapshot = await takeSnapshot(replica, ALICE, canister)
    await setVisibility(replica, canister, { allowed_viewers: [BOB] })
    const before = replica.canister(canister)

    const refused = {
      take_canister_snapshot: { canister_id: canister, replace_snapshot: [], uninstall_code: [], sender_canister_version: [] },
      load_canister_snapshot: { canister_id: canister, snapshot_id: snapshot.id, sender_canister_version: [] },
      delete_canister_snapshot: { canister_id: canister, snapshot_id: snapshot.id },
      upload_canister_snapshot_metadata: {
        canister_id: canister, replace_snapshot: [], wasm_module_size: 1n, globals: [], wasm_memory_size: 0n, stable_memory_size: 0n,
        certified_data: new Uint8Array(), global_timer: [], on_low_wasm_memory_hook_status: []
      },
      upload_canister_snapshot_data: { canister_id: canister, snapshot_id: snapshot.id, kind: { wasm_module: { offset: 0n } }, chunk: new Uint8Array(1) },
      stop_canister: { canister_id: canister },
      start_canister: { canister_id: canister },
      update_settings: { canister_id: canister, settings: { controllers: [[BOB]], freezing_threshold: [], snapshot_visibility: [] }, sender_canister_version: [] }
    } as const
    for (const [method, arg] of Object.entries(refused)) {
      expectReject(await mgmt(replica, BOB, method as keyof typeof refused, arg), 'IC0512', new RegExp(`Sender's ID: ${BOB.toText()}`))
    }
    expect(replica.canister(canister)).toEqual(before)
    expect(getProbe(replica, canister).stored).toEqual(utf8('guarded'))
  })
})

describe('upload_canister_snapshot_metadata and upload_canister_snapshot_data', () => {
  test('a downloaded snapshot uploaded to another canister loads into a working canister', async () => {
    const replica = newReplica()
    const source = await probeCanister(replica, ALICE, utf8('travelling state'))
    const target = await replica.createCanister({ controllers: [ALICE] })
    const taken = await takeSnapshot(replica, ALICE, source)
    const { metadata, blobs } = await downloadAll(replica, ALICE, source, taken.id)

    const [{ snapshot_id }] = (await mgmtOk(replica, ALICE, 'upload_canister_snapshot_metadata', {
      canister_id: target,
      replace_snapshot: [],
      wasm_module_size: metadata.wasm_module_size,
      globals: metadata.globals,
      wasm_memory_size: metadata.wasm_memory_size,
      stable_memory_size: metadata.stable_memory_size,
      certified_data: metadata.certified_data,
      global_timer: metadata.global_timer,
      on_low_wasm_memory_hook_status: metadata.on_low_wasm_memory_hook_status
    })) as [{ snapshot_id: Uint8Array }]
    expect(hex(snapshot_id)).toBe(`0000000000000000${hex(target.toUint8Array())}`)
    for (const kind of DATA_KINDS) {
      const blob = blobs[kind]
      for (let offset = 0; offset < blob.length; offset += 30_000) {
        await mgmtOk(replica, ALICE, 'upload_canister_snapshot_data', {
          canister_id: target, snapshot_id, kind: { [kind]: { offset: BigInt(offset) } }, chunk: blob.subarray(offset, offset + 30_000)
        })
      }
    }
    const uploaded = await downloadAll(replica, ALICE, target, snapshot_id)
    expect(uploaded.metadata.source).toEqual({ metadata_upload: null })
    expect(uploaded.blobs).toEqual(blobs)

    await mgmtOk(replica, ALICE, 'load_canister_snapshot', { canister_id: target, snapshot_id, sender_canister_version: [] })

    expect(getProbe(replica, target)).toEqual({ counter: 1, stored: utf8('travelling state') })
    await setProbe(replica, ALICE, target, utf8('and it still runs'))
    expect(getProbe(replica, target)).toEqual({ counter: 2, stored: utf8('and it still runs') })
  })

  test('keeps uploaded wasm chunks, listed in the metadata and readable by hash', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const [{ snapshot_id }] = (await mgmtOk(replica, ALICE, 'upload_canister_snapshot_metadata', {
      canister_id: canister, replace_snapshot: [], wasm_module_size: 0n, globals: [], wasm_memory_size: 0n,
      stable_memory_size: 0n, certified_data: new Uint8Array(), global_timer: [], on_low_wasm_memory_hook_status: []
    })) as [{ snapshot_id: Uint8Array }]
    const chunk = utf8('a chunk of a chunked wasm module')
    await mgmtOk(replica, ALICE, 'upload_canister_snapshot_data', { canister_id: canister, snapshot_id, kind: { wasm_chunk: null }, chunk })

    const hash = createHash('sha256').update(chunk).digest()
    const metadata = (await mgmtOk(replica, ALICE, 'read_canister_snapshot_metadata', { canister_id: canister, snapshot_id }))[0] as {
      wasm_chunk_store: Array<{ hash: Uint8Array }>
    }
    expect(metadata.wasm_chunk_store.map((c) => hex(c.hash))).toEqual([hash.toString('hex')])
    const [{ chunk: read }] = (await mgmtOk(replica, ALICE, 'read_canister_snapshot_data', {
      canister_id: canister, snapshot_id, kind: { wasm_chunk: { hash } }
    })) as [{ chunk: Uint8Array }]
    expect(read).toEqual(chunk)
  })

  test('refuses data for a taken snapshot (IC0409) and data past the announced size (IC0408)', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const taken = await takeSnapshot(replica, ALICE, canister)
    const immutable = await mgmt(replica, ALICE, 'upload_canister_snapshot_data', {
      canister_id: canister, snapshot_id: taken.id, kind: { stable_memory: { offset: 0n } }, chunk: utf8('overwrite')
    })
    expectReject(immutable, 'IC0409', 'Only canister snapshots created by metadata upload can be mutated.')

    const [{ snapshot_id }] = (await mgmtOk(replica, ALICE, 'upload_canister_snapshot_metadata', {
      canister_id: canister, replace_snapshot: [], wasm_module_size: 10n, globals: [], wasm_memory_size: 0n,
      stable_memory_size: 65_536n, certified_data: new Uint8Array(), global_timer: [], on_low_wasm_memory_hook_status: []
    })) as [{ snapshot_id: Uint8Array }]
    const pastEnd = await mgmt(replica, ALICE, 'upload_canister_snapshot_data', {
      canister_id: canister, snapshot_id, kind: { wasm_module: { offset: 8n } }, chunk: new Uint8Array(3)
    })
    expectReject(pastEnd, 'IC0408', 'Invalid subslice into wasm module / main memory / stable memory: offset: 8, size: 3')
  })
})

describe('cycles', () => {
  test('a canister that cannot afford the snapshot memory gets IC0532, then IC0207 until topped up', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const take = () => mgmt(replica, ALICE, 'take_canister_snapshot', {
      canister_id: canister, replace_snapshot: [], uninstall_code: [], sender_canister_version: []
    })
    const topUp = (amount: bigint) => replica.faults.drainCycles(canister, (replica.canister(canister)?.cycles ?? 0n) + amount)

    replica.faults.drainCycles(canister, 0n)
    const grow = expectReject(
      await take(),
      'IC0532',
      /^Canister cannot grow memory by \d+ bytes due to insufficient cycles\. At least (\d+) additional cycles are required\.\nTop up the canister with more cycles\. See documentation: http:\/\/internetcomputer\.org\/docs\/current\/references\/execution-errors#insufficient-cycles-in-memory-grow-1$/
    )
    topUp(BigInt(/At least (\d+) additional/.exec(grow.message)?.[1] ?? 'x'))

    const outOfCycles = expectReject(
      await take(),
      'IC0207',
      new RegExp(
        `^Canister snapshotting failed with: \`Canister ${canister.toText()} is out of cycles: please top up the canister with at least (\\d+) additional cycles\`\\n` +
          'Try sending more cycles with the request\\. See documentation: canister-snapshot-not-enough-cycles$'
      )
    )
    const missing = BigInt(/at least (\d+) additional/.exec(outOfCycles.message)?.[1] ?? 'x')
    expect(missing).toBeGreaterThanOrEqual(2_000_000_000n)
    topUp(missing - 1n)
    expectReject(await take(), 'IC0207')
    topUp(1n)
    await takeSnapshot(replica, ALICE, canister)
    expect(await list(replica, ALICE, canister)).toHaveLength(1)
  })
})

describe('delete_canister', () => {
  test('takes the canister snapshots with it', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    await takeSnapshot(replica, ALICE, canister)
    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: canister })
    await mgmtOk(replica, ALICE, 'delete_canister', { canister_id: canister })

    expect(replica.canister(canister)).toBeUndefined()
    expectReject(await mgmt(replica, ALICE, 'list_canister_snapshots', { canister_id: canister }), 'IC0301')
  })
})

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

