/**
 * The replica with the project's own test canisters (emulator/canisters): the deploy-and-roll-back
 * flow the action automates, and a multi-slice snapshot round trip checked by the ballast checksum.
 */
import { describe, expect, test } from '@jest/globals'
import { IDL } from '@icp-sdk/core/candid'
import type { Principal } from '@icp-sdk/core/principal'
import { createHash } from 'node:crypto'
import { BallastChecksum, loadCanisterModule } from '../canisters/index.js'
import type { IcReplica } from '../src/replica/index.js'
import { ALICE, MANAGEMENT, hex, mgmtOk, newReplica, replyBytes, takeSnapshot } from './replica-fixtures.js'

async function update(replica: IcReplica, canister: Principal, method: string, types: IDL.Type[], args: unknown[]): Promise<Uint8Array> {
  const msg = { sender: ALICE, canisterId: canister, methodName: method, arg: IDL.encode(types, args) }
  expect(replica.inspectIngress(msg)).toBeNull()
  return replyBytes(await replica.executeUpdate(msg))
}

function query(replica: IcReplica, canister: Principal, method: string): Uint8Array {
  return replyBytes(replica.executeQuery({ sender: ALICE, canisterId: canister, methodName: method, arg: IDL.encode([], []) }))
}

const nat64 = (reply: Uint8Array): bigint => IDL.decode([IDL.Nat64], reply)[0] as bigint

describe('counter canister', () => {
  test('snapshot, upgrade to v2, roll back: the v1 module and its value come back', async () => {
    const replica = newReplica()
    const v1 = await loadCanisterModule('counter_v1')
    const canister = await replica.createCanister({ controllers: [ALICE], wasmModule: v1 })
    for (let i = 0; i < 3; i++) await update(replica, canister, 'inc', [], [])
    expect(nat64(query(replica, canister, 'get'))).toBe(3n)

    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: canister })
    const snapshot = await takeSnapshot(replica, ALICE, canister)
    await mgmtOk(replica, ALICE, 'install_code', {
      mode: { upgrade: [] }, canister_id: canister, wasm_module: await loadCanisterModule('counter_v2'), arg: IDL.encode([], []), sender_canister_version: []
    })
    await mgmtOk(replica, ALICE, 'start_canister', { canister_id: canister })
    // v2 keeps the value across the upgrade but its `get` traps: the bad deploy to roll back.
    expect(nat64(await update(replica, canister, 'inc', [], []))).toBe(4n)
    const broken = replica.executeQuery({ sender: ALICE, canisterId: canister, methodName: 'get', arg: IDL.encode([], []) })
    expect(broken).toMatchObject({ reject: { code: 5, errorCode: 'IC0503' } })

    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: canister })
    await mgmtOk(replica, ALICE, 'load_canister_snapshot', { canister_id: canister, snapshot_id: snapshot.id, sender_canister_version: [] })
    await mgmtOk(replica, ALICE, 'start_canister', { canister_id: canister })

    expect(nat64(query(replica, canister, 'get'))).toBe(3n)
    expect(hex(replica.canister(canister)?.moduleHash ?? new Uint8Array())).toBe(createHash('sha256').update(v1).digest('hex'))
    expect(new TextDecoder().decode(replica.canisterInfo(canister)?.metadata.get('candid:service'))).toContain('inc : () -> (nat64)')
    expect(nat64(await update(replica, canister, 'inc', [], []))).toBe(4n)
  })
})

describe('ballast canister', () => {
  test('a snapshot of several MiB downloads in 2,000,000-byte slices, uploads elsewhere and loads with the same checksum', async () => {
    const replica = newReplica()
    const ballast = await loadCanisterModule('ballast')
    const source = await replica.createCanister({ controllers: [ALICE], wasmModule: ballast })
    const target = await replica.createCanister({ controllers: [ALICE], wasmModule: ballast })
    const checksum = nat64(await update(replica, source, 'grow', [IDL.Nat32, IDL.Nat32], [3, 5]))
    const snapshot = await takeSnapshot(replica, ALICE, source)

    const [metadata] = (await mgmtOk(replica, ALICE, 'read_canister_snapshot_metadata', { canister_id: source, snapshot_id: snapshot.id })) as [
      Record<string, unknown> & { wasm_module_size: bigint; wasm_memory_size: bigint; stable_memory_size: bigint }
    ]
    const [{ snapshot_id: uploaded }] = (await mgmtOk(replica, ALICE, 'upload_canister_snapshot_metadata', {
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

    const digest = new BallastChecksum()
    const sizes = { wasm_module: metadata.wasm_module_size, wasm_memory: metadata.wasm_memory_size, stable_memory: metadata.stable_memory_size }
    let slices = 0
    for (const kind of ['wasm_module', 'wasm_memory', 'stable_memory'] as const) {
      for (let offset = 0n; offset < sizes[kind]; offset += 2_000_000n) {
        const size = sizes[kind] - offset < 2_000_000n ? sizes[kind] - offset : 2_000_000n
        const [{ chunk }] = (await mgmtOk(replica, ALICE, 'read_canister_snapshot_data', {
          canister_id: source, snapshot_id: snapshot.id, kind: { [kind]: { offset, size } }
        })) as [{ chunk: Uint8Array }]
        expect(BigInt(chunk.length)).toBe(size)
        slices++
        if (kind === 'wasm_memory') digest.update(offset === 0n ? chunk.subarray(131_072) : chunk)
        if (kind === 'stable_memory') digest.update(chunk)
        await mgmtOk(replica, ALICE, 'upload_canister_snapshot_data', { canister_id: target, snapshot_id: uploaded, kind: { [kind]: { offset } }, chunk })
      }
    }
    expect(slices).toBeGreaterThan(4)
    expect(digest.digest()).toBe(checksum)

    await mgmtOk(replica, ALICE, 'load_canister_snapshot', { canister_id: target, snapshot_id: uploaded, sender_canister_version: [] })
    expect(nat64(query(replica, target, 'checksum'))).toBe(checksum)
    expect(replica.canister(target)?.stableMemorySize).toBe(5 * 1024 * 1024)
    expect(replica.executeQuery({ sender: ALICE, canisterId: MANAGEMENT, methodName: 'canister_status', arg: IDL.encode([IDL.Record({ canister_id: IDL.Principal })], [{ canister_id: target }]) })).toHaveProperty('reply')
  })
})
