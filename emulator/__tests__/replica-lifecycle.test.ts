import { describe, expect, test } from '@jest/globals'
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import { createHash } from 'node:crypto'
import type { ExecResult } from '../src/contracts.js'
import {
  ALICE,
  BOB,
  CAROL,
  MANAGEMENT,
  Mgmt,
  encodeCall,
  expectReject,
  getProbe,
  hex,
  mgmt,
  mgmtOk,
  newReplica,
  probeCanister,
  probeModule,
  replyBytes,
  setProbe,
  utf8
} from './replica-fixtures.js'

const NOT_FOUND_HELP =
  '\nCheck the ICP dashboard to ensure the canister exists. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#canister-not-found'

const emptyArg = () => IDL.encode([], [])

interface Status {
  status: Record<string, null>
  version: bigint
  module_hash: [] | [Uint8Array]
  cycles: bigint
  settings: { controllers: Principal[]; freezing_threshold: bigint; minimum_incoming_canister_call_cycles: bigint }
  memory_metrics: { wasm_memory_size: bigint; stable_memory_size: bigint; snapshots_size: bigint; log_memory_store_size: bigint }
}

function decodeStatus(result: ExecResult): Status {
  return IDL.decode([...Mgmt.canister_status.ret], replyBytes(result))[0] as unknown as Status
}

describe('provisional_create_canister_with_cycles', () => {
  test('any caller creates canisters with sequential local ids, controlled by the caller by default', async () => {
    const replica = newReplica()
    const [first] = (await mgmtOk(replica, Principal.anonymous(), 'provisional_create_canister_with_cycles', {
      amount: [], settings: [], specified_id: [], sender_canister_version: []
    })) as [{ canister_id: Principal }]
    const [second] = (await mgmtOk(replica, BOB, 'provisional_create_canister_with_cycles', {
      amount: [123_000_000_000n], settings: [{ controllers: [[ALICE, CAROL]] }], specified_id: [], sender_canister_version: []
    })) as [{ canister_id: Principal }]

    expect(first.canister_id.toText()).toBe('rwlgt-iiaaa-aaaaa-aaaaa-cai')
    expect(hex(second.canister_id.toUint8Array())).toBe('00000000000000010101')
    expect(replica.canister(first.canister_id)?.controllers).toEqual([Principal.anonymous()])
    expect(replica.canister(second.canister_id)).toMatchObject({ controllers: [ALICE, CAROL], cycles: 123_000_000_000n, status: 'running' })
    expect(replica.hasCanister(second.canister_id)).toBe(true)
  })
})

describe('install_code, uninstall_code and canister_status', () => {
  test('install, upgrade and reinstall run the module and report its SHA-256 in the full status record', async () => {
    const replica = newReplica()
    const canister = await replica.createCanister({ controllers: [ALICE] })
    const install = (mode: Record<string, unknown>, module: Uint8Array) =>
      mgmtOk(replica, ALICE, 'install_code', { mode, canister_id: canister, wasm_module: module, arg: emptyArg(), sender_canister_version: [] })
    const statusArg = encodeCall('canister_status', { canister_id: canister })

    const empty = decodeStatus(await mgmt(replica, ALICE, 'canister_status', { canister_id: canister }))
    expect(empty.module_hash).toEqual([])

    await install({ install: null }, await probeModule(1))
    await setProbe(replica, ALICE, canister, utf8('kept across upgrade'))
    await install({ upgrade: [] }, await probeModule(2))
    expect(getProbe(replica, canister)).toEqual({ counter: 0, stored: new Uint8Array() })
    // Globals and heap start afresh on upgrade; stable memory stays (the probe only reads it with a stored length).
    const upgraded = decodeStatus(await mgmt(replica, ALICE, 'canister_status', { canister_id: canister }))
    expect(hex(upgraded.module_hash[0] ?? new Uint8Array())).toBe(createHash('sha256').update(await probeModule(2)).digest('hex'))
    expect(upgraded.memory_metrics.stable_memory_size).toBe(65_536n)

    await install({ reinstall: null }, await probeModule(1))
    const query = decodeStatus(replica.executeQuery({ sender: ALICE, canisterId: MANAGEMENT, methodName: 'canister_status', arg: statusArg }))
    expect(hex(query.module_hash[0] ?? new Uint8Array())).toBe(createHash('sha256').update(await probeModule(1)).digest('hex'))
    expect(query.memory_metrics.stable_memory_size).toBe(0n)
    expect(query.status).toEqual({ running: null })
    expect(query.settings).toMatchObject({ controllers: [ALICE], freezing_threshold: 2_592_000n, minimum_incoming_canister_call_cycles: 0n })
    expect(query.version).toBe(replica.canister(canister)?.version)
  })

  test('install on a non-empty canister is refused with IC0514; upgrade of an empty one with IC0537', async () => {
    const replica = newReplica()
    const full = await probeCanister(replica, ALICE)
    const empty = await replica.createCanister({ controllers: [ALICE] })
    const install = (canister: Principal, mode: Record<string, unknown>) =>
      mgmt(replica, ALICE, 'install_code', { mode, canister_id: canister, wasm_module: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), arg: emptyArg(), sender_canister_version: [] })

    expectReject(
      await install(full, { install: null }),
      'IC0514',
      `Canister ${full.toText()} cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead.\n` +
        "Check that you want to overwrite the canister and, if so, use mode='reinstall'. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#canister-not-empty"
    )
    expectReject(await install(empty, { upgrade: [] }), 'IC0537', /^Error from Canister .*: Attempted to execute a message, but the canister contains no Wasm module\.\./)
    const garbage = await mgmt(replica, ALICE, 'install_code', {
      mode: { install: null }, canister_id: empty, wasm_module: utf8('not wasm'), arg: emptyArg(), sender_canister_version: []
    })
    expectReject(garbage, 'IC0505', new RegExp(`^Error from Canister ${empty.toText()}: Canister's Wasm module is not valid: `))
    expect(replica.canister(empty)?.moduleHash).toBeUndefined()
  })

  test('uninstall_code empties the canister; calls then fail with IC0537', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    await mgmtOk(replica, ALICE, 'uninstall_code', { canister_id: canister, sender_canister_version: [] })

    expect(replica.canister(canister)?.moduleHash).toBeUndefined()
    const call = { sender: ALICE, canisterId: canister, methodName: 'set', arg: new Uint8Array() }
    expectReject(
      { reject: replica.inspectIngress(call) ?? fail('expected a rejection') },
      'IC0537',
      `Error from Canister ${canister.toText()}: Attempted to execute a message, but the canister contains no Wasm module..\n` +
        'Please install code to this canister before calling it. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#wasm-module-not-found'
    )
    expectReject(replica.executeQuery({ ...call, methodName: 'get' }), 'IC0537')
  })
})

describe('stop_canister and start_canister', () => {
  test('running → stopped → running, with calls refused while stopped', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    const call = { sender: BOB, canisterId: canister, methodName: 'set', arg: utf8('y') }

    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: canister })
    expect(replica.canister(canister)?.status).toBe('stopped')
    expect(replica.inspectIngress(call)).toEqual({ code: 5, errorCode: 'IC0508', message: `Canister ${canister.toText()} is stopped` })
    expectReject(await replica.executeUpdate(call), 'IC0508')
    expectReject(replica.executeQuery({ ...call, methodName: 'get' }), 'IC0508', `Canister ${canister.toText()} is stopped and therefore does not have a CallContextManager`)
    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: canister })

    await mgmtOk(replica, ALICE, 'start_canister', { canister_id: canister })
    expect(replica.canister(canister)?.status).toBe('running')
    expect(replica.inspectIngress(call)).toBeNull()
    await setProbe(replica, BOB, canister, utf8('y'))
    expect(getProbe(replica, canister).stored).toEqual(utf8('y'))
  })

  test('a held canister stays stopping, refuses calls with IC0509, and the stop times out with IC0206', async () => {
    const replica = newReplica({ stopTimeoutMs: 50 })
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    replica.faults.holdStopping(canister)

    const stop = mgmt(replica, ALICE, 'stop_canister', { canister_id: canister })
    expect(replica.canister(canister)?.status).toBe('stopping')
    expect(replica.inspectIngress({ sender: BOB, canisterId: canister, methodName: 'set', arg: new Uint8Array() })).toEqual({
      code: 5, errorCode: 'IC0509', message: `Canister ${canister.toText()} is stopping`
    })
    expect(getProbe(replica, canister).counter).toBe(1)
    expectReject(await stop, 'IC0206', 'Stop canister request timed out')
    expect(replica.canister(canister)?.status).toBe('stopping')

    await mgmtOk(replica, ALICE, 'start_canister', { canister_id: canister })
    expect(replica.canister(canister)?.status).toBe('running')
  })

  test('releasing a held canister completes the pending stop; start cancels one with IC0511', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    replica.faults.holdStopping(canister)
    const released = mgmt(replica, ALICE, 'stop_canister', { canister_id: canister })
    replica.faults.holdStopping(canister, false)
    expect(replyBytes(await released)).toEqual(IDL.encode([], []))
    expect(replica.canister(canister)?.status).toBe('stopped')

    await mgmtOk(replica, ALICE, 'start_canister', { canister_id: canister })
    replica.faults.holdStopping(canister)
    const cancelled = mgmt(replica, ALICE, 'stop_canister', { canister_id: canister })
    await mgmtOk(replica, ALICE, 'start_canister', { canister_id: canister })
    expectReject(await cancelled, 'IC0511', `Canister ${canister.toText()}'s stop request was cancelled.`)
    replica.close()
  })
})

describe('delete_canister', () => {
  test('refuses a running canister with IC0510 and deletes a stopped one', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE)
    expectReject(
      await mgmt(replica, ALICE, 'delete_canister', { canister_id: canister }),
      'IC0510',
      `Canister ${canister.toText()} must be stopped before it is deleted.\n` +
        'Stop the canister before deleting it. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#delete-canister-not-stopped'
    )
    await mgmtOk(replica, ALICE, 'stop_canister', { canister_id: canister })
    await mgmtOk(replica, ALICE, 'delete_canister', { canister_id: canister })
    expect(replica.hasCanister(canister)).toBe(false)
  })
})

describe('the ingress filter', () => {
  test('a non-controller is refused with IC0512 for controller-only management methods', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE)
    const expected =
      `Only the controllers of the canister ${canister.toText()} can control it.\n` +
      `Canister's controllers: ${ALICE.toText()}\n` +
      `Sender's ID: ${BOB.toText()}\n` +
      'Execute this call from a controller of the target canister or add the current caller as a controller. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#invalid-controller'
    const calls: Array<[keyof typeof Mgmt, Record<string, unknown>]> = [
      ['canister_status', { canister_id: canister }],
      ['stop_canister', { canister_id: canister }],
      ['take_canister_snapshot', { canister_id: canister, replace_snapshot: [], uninstall_code: [], sender_canister_version: [] }],
      ['list_canister_snapshots', { canister_id: canister }],
      ['update_settings', { canister_id: canister, settings: { controllers: [[BOB]], freezing_threshold: [], snapshot_visibility: [] }, sender_canister_version: [] }]
    ]
    for (const [method, arg] of calls) {
      const msg = { sender: BOB, canisterId: MANAGEMENT, methodName: method, arg: encodeCall(method, arg) }
      expect(replica.inspectIngress(msg)).toEqual({ code: 5, errorCode: 'IC0512', message: expected })
      // Execution checks again: state may change between the filter and execution.
      expectReject(await replica.executeUpdate(msg), 'IC0512', expected)
    }
    expect(replica.canister(canister)?.controllers).toEqual([ALICE])
  })

  test('an unknown canister is IC0301 for management methods and direct calls', () => {
    const replica = newReplica()
    const ghost = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai')
    const expected = { code: 3, errorCode: 'IC0301', message: `Canister ${ghost.toText()} not found.${NOT_FOUND_HELP}` }
    expect(replica.inspectIngress({ sender: ALICE, canisterId: MANAGEMENT, methodName: 'canister_status', arg: encodeCall('canister_status', { canister_id: ghost }) })).toEqual(expected)
    expect(replica.inspectIngress({ sender: ALICE, canisterId: ghost, methodName: 'set', arg: new Uint8Array() })).toEqual(expected)
    expect(replica.executeQuery({ sender: ALICE, canisterId: ghost, methodName: 'get', arg: new Uint8Array() })).toEqual({ reject: expected })
    expect(replica.canisterInfo(ghost)).toBeUndefined()
  })

  test('a missing method is IC0536, an unknown management method and a bad payload are refused', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE)
    expect(replica.inspectIngress({ sender: ALICE, canisterId: canister, methodName: 'nope', arg: new Uint8Array() })).toEqual({
      code: 5,
      errorCode: 'IC0536',
      message:
        `Error from Canister ${canister.toText()}: Canister has no update method 'nope'..\n` +
        'Check that the method being called is exported by the target canister. See documentation: http://internetcomputer.org/docs/current/references/execution-errors#method-not-found'
    })
    expectReject(replica.executeQuery({ sender: ALICE, canisterId: canister, methodName: 'set', arg: new Uint8Array() }), 'IC0536', /has no query method 'set'/)
    expectReject(
      { reject: replica.inspectIngress({ sender: ALICE, canisterId: MANAGEMENT, methodName: 'raw_rand_please', arg: emptyArg() }) ?? fail('expected a rejection') },
      'IC0536',
      'ic00 interface does not expose method raw_rand_please'
    )
    expectReject(
      { reject: replica.inspectIngress({ sender: ALICE, canisterId: MANAGEMENT, methodName: 'stop_canister', arg: IDL.encode([IDL.Text], ['x']) }) ?? fail('expected a rejection') },
      'IC0408',
      /^Failed to parse payload for ic00 method stop_canister: /
    )
  })

  test('a canister without cycles refuses update calls with IC0207', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    replica.faults.drainCycles(canister)
    expect(replica.inspectIngress({ sender: ALICE, canisterId: canister, methodName: 'set', arg: utf8('y') })).toEqual({
      code: 2, errorCode: 'IC0207', message: `Canister ${canister.toText()} is out of cycles`
    })
    expect(replica.canister(canister)?.cycles).toBe(0n)
  })
})

describe('update_settings', () => {
  test('replaces the controllers and stores snapshot visibility', async () => {
    const replica = newReplica()
    const canister = await probeCanister(replica, ALICE, utf8('x'))
    await mgmtOk(replica, ALICE, 'update_settings', {
      canister_id: canister, settings: { controllers: [[BOB]], freezing_threshold: [86_400n], snapshot_visibility: [{ public: null }] }, sender_canister_version: []
    })

    expect(replica.canister(canister)?.controllers).toEqual([BOB])
    expectReject(await mgmt(replica, ALICE, 'stop_canister', { canister_id: canister }), 'IC0512')
    await mgmtOk(replica, CAROL, 'list_canister_snapshots', { canister_id: canister })
    const status = decodeStatus(await mgmt(replica, BOB, 'canister_status', { canister_id: canister }))
    expect(status.settings.freezing_threshold).toBe(86_400n)
    expect(replica.canisterInfo(canister)?.controllers).toEqual([BOB])
  })
})

describe('canisterInfo', () => {
  test('publishes controllers, module hash and icp metadata sections', async () => {
    const replica = newReplica()
    const module = withCustomSection(await probeModule(1), 'icp:public candid:service', 'service : {}')
    const canister = await replica.createCanister({ controllers: [ALICE], wasmModule: module })
    const info = replica.canisterInfo(canister)

    expect(info?.controllers).toEqual([ALICE])
    expect(hex(info?.moduleHash ?? new Uint8Array())).toBe(createHash('sha256').update(module).digest('hex'))
    expect(new TextDecoder().decode(info?.metadata.get('candid:service'))).toBe('service : {}')
  })
})

/** Appends a custom section (id 0) to a Wasm binary. */
function withCustomSection(module: Uint8Array, name: string, content: string): Uint8Array {
  const nameBytes = utf8(name)
  const payload = Buffer.concat([leb(nameBytes.length), nameBytes, utf8(content)])
  return Buffer.concat([module, Uint8Array.of(0), leb(payload.length), payload])
}

function leb(n: number): Uint8Array {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return Uint8Array.from(out)
}

function fail(message: string): never {
  throw new Error(message)
}
