/**
 * The execution layer on its own: the WasmEngine with the test canisters and small inline modules,
 * no replica and no HTTP.
 */
import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import wabtInit from 'wabt'
import { InvalidModuleError, type ExecResult, type ExecutionEnv, type ExecutionSnapshot, type WasmCanister } from '../src/contracts.js'
import { CanisterExecutionError, createWasmEngine, readModuleMetadata } from '../src/execution/index.js'
import { ballastChecksum, BALLAST_HEAP_START, loadCanisterModule } from '../canisters/index.js'

const CANISTER_ID = Principal.fromText('lxzze-o7777-77777-aaaaa-cai')
const MIB = 1024 * 1024
const NO_ARGS = new Uint8Array(IDL.encode([], []))

function makeEnv(overrides: Partial<ExecutionEnv> = {}): ExecutionEnv & { printed: string[] } {
  const printed: string[] = []
  return {
    canisterId: CANISTER_ID,
    caller: Principal.fromText('2vxsx-fae'),
    timeNs: 1_700_000_000_000_000_000n,
    cycleBalance: 3n * 10n ** 12n,
    status: 1,
    canisterVersion: 1n,
    debugPrint: (text) => printed.push(text),
    printed,
    ...overrides
  }
}

function nat64Reply(result: ExecResult): bigint {
  if (!('reply' in result)) throw new Error(`expected a reply, got ${JSON.stringify(result.reject)}`)
  const [value] = IDL.decode([IDL.Nat64], result.reply)
  if (typeof value !== 'bigint') throw new Error('reply is not a nat64')
  return value
}

function rejectOf(result: ExecResult): { code: number; errorCode: string; message: string } {
  if (!('reject' in result)) throw new Error('expected a reject, got a reply')
  return result.reject
}

/** Snapshot with its large byte arrays replaced by digests: fast to compare, readable in a diff. */
function digest(snapshot: ExecutionSnapshot): Record<string, unknown> {
  const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
  return {
    ...snapshot,
    wasmModule: sha(snapshot.wasmModule),
    wasmMemory: `${snapshot.wasmMemory.length} bytes, sha256 ${sha(snapshot.wasmMemory)}`,
    stableMemory: `${snapshot.stableMemory.length} bytes, sha256 ${sha(snapshot.stableMemory)}`
  }
}

async function wat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const module = wabt.parseWat('inline.wat', text)
  try {
    module.resolveNames()
    module.validate()
    return module.toBinary({ log: false }).buffer
  } finally {
    module.destroy()
  }
}

async function installCounter(env = makeEnv()): Promise<WasmCanister> {
  return createWasmEngine().install(await loadCanisterModule('counter_v1'), NO_ARGS, env)
}

/** A module that changes every kind of state and then traps, in several ways. */
const MUTATOR = `(module
  (import "ic0" "stable64_grow" (func $stable64_grow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $stable64_write (param i64 i64 i64)))
  (import "ic0" "certified_data_set" (func $certified_data_set (param i32 i32)))
  (import "ic0" "global_timer_set" (func $global_timer_set (param i64) (result i64)))
  (import "ic0" "msg_reply" (func $msg_reply))
  (import "ic0" "msg_reply_data_append" (func $msg_reply_data_append (param i32 i32)))
  (import "ic0" "msg_reject" (func $msg_reject (param i32 i32)))
  (import "ic0" "trap" (func $trap (param i32 i32)))
  (import "ic0" "debug_print" (func $debug_print (param i32 i32)))
  (import "ic0" "stable64_read" (func $stable64_read (param i64 i64 i64)))
  (memory (export "memory") 1)
  (global $exported (export "exported") (mut i32) (i32.const 7))
  (global $hidden (mut i64) (i64.const 8))
  (global $float (mut f32) (f32.const 1.5))
  (global $double (mut f64) (f64.const 2.25))
  (global $constant i32 (i32.const 9))
  (data (i32.const 0) "boom")
  (func $start (call $debug_print (i32.const 0) (i32.const 4)) (i32.store (i32.const 100) (i32.const 1)))
  (start $start)
  (func $mutate
    (i32.store (i32.const 16) (i32.const 0xdeadbeef))
    (drop (call $stable64_grow (i64.const 2)))
    (call $stable64_write (i64.const 0) (i64.const 0) (i64.const 4))
    (global.set $exported (i32.const -1))
    (global.set $hidden (i64.const -2))
    (global.set $float (f32.const 3.5))
    (global.set $double (f64.const -4.75))
    (call $certified_data_set (i32.const 0) (i32.const 4))
    (drop (call $global_timer_set (i64.const 42))))
  (func (export "canister_update commit") (call $mutate) (call $msg_reply))
  (func (export "canister_update grow_then_trap") (call $mutate) (drop (memory.grow (i32.const 3))) (call $trap (i32.const 0) (i32.const 4)))
  (func (export "canister_update mutate_then_unreachable") (call $mutate) unreachable)
  (func (export "canister_update reply_twice") (call $mutate) (call $msg_reply) (call $msg_reply))
  (func (export "canister_update silent") (call $mutate))
  (func (export "canister_update reject") (call $mutate) (call $msg_reject (i32.const 0) (i32.const 4)))
  (func (export "canister_update read_stable_out_of_bounds")
    (call $mutate)
    (call $stable64_read (i64.const 0) (i64.const 0x40000000) (i64.const 4)))
  (func (export "canister_query mutate_in_query")
    (i32.store (i32.const 16) (i32.const 0x12345678))
    (global.set $exported (i32.const 99))
    (call $msg_reply_data_append (i32.const 16) (i32.const 4))
    (call $msg_reply))
)`

describe('counter v1 through the engine', () => {
  it('counts, answers queries and certifies the value', async () => {
    const env = makeEnv()
    const counter = await installCounter(env)
    expect(env.printed).toEqual(['counter v1 installed'])
    expect([...counter.updateMethods].sort()).toEqual(['inc', 'set'])
    expect([...counter.queryMethods]).toEqual(['get'])

    expect([1, 2, 3].map(() => nat64Reply(counter.update('inc', NO_ARGS, env)))).toEqual([1n, 2n, 3n])
    expect(nat64Reply(counter.query('get', NO_ARGS, env))).toBe(3n)
    expect(Buffer.from(counter.certifiedData).readBigUInt64LE()).toBe(3n)

    const set = counter.update('set', new Uint8Array(IDL.encode([IDL.Nat64], [41n])), env)
    expect('reply' in set && IDL.decode([], set.reply)).toEqual([])
    expect(nat64Reply(counter.update('inc', NO_ARGS, env))).toBe(42n)
  })

  it('keeps the value across an upgrade through stable memory, and a reinstall resets it', async () => {
    const env = makeEnv()
    const engine = createWasmEngine()
    const v1 = await loadCanisterModule('counter_v1')
    const counter = await engine.install(v1, NO_ARGS, env)
    for (let i = 0; i < 3; i++) counter.update('inc', NO_ARGS, env)
    expect(counter.stableMemorySize).toBe(0)

    const upgraded = await engine.upgrade(counter, v1, NO_ARGS, env)
    expect(nat64Reply(upgraded.query('get', NO_ARGS, env))).toBe(3n)
    expect(upgraded.stableMemorySize).toBe(65_536)
    // The heap is fresh: the change counter (a global) starts again.
    expect(upgraded.capture().globals).toEqual([{ i64: 0n }])
    expect(() => counter.query('get', NO_ARGS, env)).toThrow(/replaced by an upgrade/)

    const reinstalled = await engine.install(v1, NO_ARGS, env)
    expect(nat64Reply(reinstalled.query('get', NO_ARGS, env))).toBe(0n)
    expect(reinstalled.stableMemorySize).toBe(0)
  })

  it('upgrades to v2, whose get traps with IC0503 while the value survives', async () => {
    const env = makeEnv()
    const engine = createWasmEngine()
    const counter = await installCounter(env)
    for (let i = 0; i < 3; i++) counter.update('inc', NO_ARGS, env)
    const v2 = await engine.upgrade(counter, await loadCanisterModule('counter_v2'), NO_ARGS, env)

    expect(rejectOf(v2.query('get', NO_ARGS, env))).toEqual({
      code: 5,
      errorCode: 'IC0503',
      message:
        "Error from Canister lxzze-o7777-77777-aaaaa-cai: Canister called `ic0.trap` with message: 'counter v2: get is broken'.\n" +
        'Consider gracefully handling failures from this canister or altering the canister to handle exceptions. ' +
        'See documentation: http://internetcomputer.org/docs/current/references/execution-errors#trapped-explicitly'
    })
    expect(nat64Reply(v2.update('inc', NO_ARGS, env))).toBe(4n)
  })

  it('refuses a malformed argument with a trap and leaves the value alone', async () => {
    const env = makeEnv()
    const counter = await installCounter(env)
    counter.update('inc', NO_ARGS, env)
    const reject = rejectOf(counter.update('set', new Uint8Array(IDL.encode([IDL.Text], ['7'])), env))
    expect(reject.errorCode).toBe('IC0503')
    expect(reject.message).toContain("with message: 'counter: set expects one nat64 argument'")
    expect(nat64Reply(counter.query('get', NO_ARGS, env))).toBe(1n)
  })

  it('answers a missing method with IC0536 in the IC wording', async () => {
    const env = makeEnv()
    const counter = await installCounter(env)
    expect(rejectOf(counter.update('reset', NO_ARGS, env))).toEqual({
      code: 5,
      errorCode: 'IC0536',
      message:
        "Error from Canister lxzze-o7777-77777-aaaaa-cai: Canister has no update method 'reset'..\n" +
        'Check that the method being called is exported by the target canister. ' +
        'See documentation: http://internetcomputer.org/docs/current/references/execution-errors#method-not-found'
    })
    expect(rejectOf(counter.query('inc', NO_ARGS, env)).message).toContain("has no query method 'inc'")
  })

  it('runs a query method called as an update without keeping its changes', async () => {
    const env = makeEnv()
    const counter = await installCounter(env)
    counter.update('inc', NO_ARGS, env)
    expect(nat64Reply(counter.update('get', NO_ARGS, env))).toBe(1n)
  })

  it('leaves the old canister untouched when the new module traps in post_upgrade', async () => {
    const env = makeEnv()
    const engine = createWasmEngine()
    const counter = await installCounter(env)
    for (let i = 0; i < 3; i++) counter.update('inc', NO_ARGS, env)
    const before = counter.capture()
    const broken = await wat(`(module
      (import "ic0" "trap" (func $trap (param i32 i32)))
      (memory 1) (data (i32.const 0) "no")
      (func (export "canister_post_upgrade") (call $trap (i32.const 0) (i32.const 2))))`)

    const failure = await engine.upgrade(counter, broken, NO_ARGS, env).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(CanisterExecutionError)
    expect((failure as CanisterExecutionError).reject.errorCode).toBe('IC0503')
    expect((failure as CanisterExecutionError).reject.message).toContain("with message: 'no'")
    // pre_upgrade had grown and written stable memory; that is undone too.
    expect(digest(counter.capture())).toEqual(digest(before))
    expect(nat64Reply(counter.update('inc', NO_ARGS, env))).toBe(4n)
  })
})

describe('rollback', () => {
  const cases: [string, string, string][] = [
    ['grow_then_trap', 'IC0503', "Canister called `ic0.trap` with message: 'boom'"],
    ['mutate_then_unreachable', 'IC0502', 'Canister trapped: unreachable'],
    ['reply_twice', 'IC0504', 'Canister violated contract: ic0.msg_reply: the call is already replied'],
    ['read_stable_out_of_bounds', 'IC0502', 'Canister trapped: stable memory out of bounds']
  ]

  it.each(cases)('%s rejects with %s and leaves memories, globals, certified data and timer as before', async (method, errorCode, text) => {
    const env = makeEnv()
    const canister = await createWasmEngine().install(await wat(MUTATOR), NO_ARGS, env)
    canister.update('commit', NO_ARGS, env)
    const before = canister.capture()

    const reject = rejectOf(canister.update(method, NO_ARGS, env))
    expect(reject.errorCode).toBe(errorCode)
    expect(reject.code).toBe(5)
    expect(reject.message).toContain(`Error from Canister ${CANISTER_ID.toText()}: ${text}`)
    expect(digest(canister.capture())).toEqual(digest(before))
    expect(canister.wasmMemorySize).toBe(65_536)
  })

  it('keeps the changes of a message that rejects or does not reply (no trap)', async () => {
    const env = makeEnv()
    const canister = await createWasmEngine().install(await wat(MUTATOR), NO_ARGS, env)
    const pristine = canister.capture()

    expect(rejectOf(canister.update('reject', NO_ARGS, env))).toEqual({ code: 4, errorCode: 'IC0406', message: 'boom' })
    const afterReject = canister.capture()
    expect(digest(afterReject)).not.toEqual(digest(pristine))
    expect(afterReject.globals).toEqual([{ i32: -1 }, { i64: -2n }, { f32: 3.5 }, { f64: -4.75 }])
    expect(afterReject.globalTimer).toBe(42n)
    expect(new TextDecoder().decode(afterReject.certifiedData)).toBe('boom')

    expect(rejectOf(canister.update('silent', NO_ARGS, env))).toEqual({
      code: 5,
      errorCode: 'IC0506',
      message: `Canister ${CANISTER_ID.toText()} did not reply to the call`
    })
  })

  it('never keeps what a query changed', async () => {
    const env = makeEnv()
    const canister = await createWasmEngine().install(await wat(MUTATOR), NO_ARGS, env)
    const before = canister.capture()
    const result = canister.query('mutate_in_query', NO_ARGS, env)
    expect('reply' in result && Buffer.from(result.reply).readUInt32LE()).toBe(0x12345678)
    expect(digest(canister.capture())).toEqual(digest(before))
  })

  it('refuses System API calls a query may not make, as a contract violation', async () => {
    const env = makeEnv()
    const module = await wat(`(module
      (import "ic0" "certified_data_set" (func $set (param i32 i32)))
      (memory 1)
      (func (export "canister_query certify") (call $set (i32.const 0) (i32.const 1))))`)
    const canister = await createWasmEngine().install(module, NO_ARGS, env)
    const reject = rejectOf(canister.query('certify', NO_ARGS, env))
    expect(reject.errorCode).toBe('IC0504')
    expect(reject.message).toContain('"ic0_certified_data_set" cannot be executed in non-replicated query mode')
  })
})

describe('System API', () => {
  it('exposes the caller, the canister, time, version, status, cycles and the timer', async () => {
    const env = makeEnv({ timeNs: 123_456_789n, canisterVersion: 7n, status: 2, cycleBalance: (1n << 70n) + 5n })
    const module = await wat(`(module
      (import "ic0" "time" (func $time (result i64)))
      (import "ic0" "canister_version" (func $version (result i64)))
      (import "ic0" "canister_status" (func $status (result i32)))
      (import "ic0" "canister_cycle_balance128" (func $balance (param i32)))
      (import "ic0" "canister_self_size" (func $self_size (result i32)))
      (import "ic0" "canister_self_copy" (func $self_copy (param i32 i32 i32)))
      (import "ic0" "msg_caller_size" (func $caller_size (result i32)))
      (import "ic0" "msg_caller_copy" (func $caller_copy (param i32 i32 i32)))
      (import "ic0" "global_timer_set" (func $timer (param i64) (result i64)))
      (import "ic0" "data_certificate_present" (func $certificate (result i32)))
      (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
      (import "ic0" "msg_reply" (func $reply))
      (memory (export "memory") 1)
      (func (export "canister_update env")
        (i64.store (i32.const 0) (call $time))
        (i64.store (i32.const 8) (call $version))
        (i32.store (i32.const 16) (call $status))
        (call $balance (i32.const 20))
        (i64.store (i32.const 36) (call $timer (i64.const 99)))
        (i64.store (i32.const 44) (call $timer (i64.const 0)))
        (i32.store (i32.const 52) (call $certificate))
        (i32.store (i32.const 56) (call $self_size))
        (call $self_copy (i32.const 60) (i32.const 0) (call $self_size))
        (i32.store (i32.const 100) (call $caller_size))
        (call $caller_copy (i32.const 104) (i32.const 0) (call $caller_size))
        (call $append (i32.const 0) (i32.const 140))
        (call $reply)))`)
    const canister = await createWasmEngine().install(module, NO_ARGS, env)
    canister.update('env', NO_ARGS, env)
    const result = canister.update('env', NO_ARGS, env)
    if (!('reply' in result)) throw new Error(result.reject.message)
    const reply = Buffer.from(result.reply)
    expect(reply.readBigUInt64LE(0)).toBe(123_456_789n)
    expect(reply.readBigUInt64LE(8)).toBe(7n)
    expect(reply.readUInt32LE(16)).toBe(2)
    expect(reply.readBigUInt64LE(20) + (reply.readBigUInt64LE(28) << 64n)).toBe((1n << 70n) + 5n)
    // The first call left the timer inactive (set to 0), so the previous deadline reads 0.
    expect(reply.readBigUInt64LE(36)).toBe(0n)
    expect(reply.readBigUInt64LE(44)).toBe(99n)
    expect(reply.readUInt32LE(52)).toBe(0)
    const selfSize = reply.readUInt32LE(56)
    expect(Principal.fromUint8Array(reply.subarray(60, 60 + selfSize)).toText()).toBe(CANISTER_ID.toText())
    const callerSize = reply.readUInt32LE(100)
    expect(Principal.fromUint8Array(reply.subarray(104, 104 + callerSize)).toText()).toBe('2vxsx-fae')
    expect(canister.capture().globalTimer).toBeUndefined()
  })

  it('grows 32-bit stable memory, and traps on a read past its end', async () => {
    const env = makeEnv()
    const module = await wat(`(module
      (import "ic0" "stable_size" (func $size (result i32)))
      (import "ic0" "stable_grow" (func $grow (param i32) (result i32)))
      (import "ic0" "stable_read" (func $read (param i32 i32 i32)))
      (import "ic0" "stable_write" (func $write (param i32 i32 i32)))
      (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
      (import "ic0" "msg_reply" (func $reply))
      (memory (export "memory") 1)
      (data (i32.const 0) "abcd")
      (func (export "canister_update roundtrip")
        (i32.store (i32.const 16) (call $grow (i32.const 2)))
        (i32.store (i32.const 20) (call $grow (i32.const 70000)))
        (call $write (i32.const 131068) (i32.const 0) (i32.const 4))
        (call $read (i32.const 24) (i32.const 131068) (i32.const 4))
        (i32.store (i32.const 28) (call $size))
        (call $append (i32.const 16) (i32.const 16))
        (call $reply))
      (func (export "canister_update past_the_end")
        (call $read (i32.const 0) (i32.const 131070) (i32.const 4))))`)
    const canister = await createWasmEngine().install(module, NO_ARGS, env)
    const result = canister.update('roundtrip', NO_ARGS, env)
    if (!('reply' in result)) throw new Error(result.reject.message)
    const reply = Buffer.from(result.reply)
    expect(reply.readInt32LE(0)).toBe(0)
    expect(reply.readInt32LE(4)).toBe(-1)
    expect(reply.subarray(8, 12).toString()).toBe('abcd')
    expect(reply.readInt32LE(12)).toBe(2)
    expect(rejectOf(canister.update('past_the_end', NO_ARGS, env)).message).toContain('Canister trapped: stable memory out of bounds')
    expect(canister.stableMemorySize).toBe(131_072)
  })

  it('runs the start function of a module without exports once, at install', async () => {
    const env = makeEnv()
    const module = await wat(`(module
      (import "ic0" "debug_print" (func $print (param i32 i32)))
      (memory 1) (data (i32.const 0) "started")
      (func $start (call $print (i32.const 0) (i32.const 7)))
      (start $start))`)
    const engine = createWasmEngine()
    const canister = await engine.install(module, NO_ARGS, env)
    expect(env.printed).toEqual(['started'])
    expect(canister.wasmMemorySize).toBe(65_536)
    const restored = await engine.restore(canister.capture())
    expect(env.printed).toEqual(['started'])
    expect(restored.capture().wasmMemory).toEqual(canister.capture().wasmMemory)
  })
})

describe('install checks', () => {
  it.each([
    ['an ic0 function the emulator lacks', '(import "ic0" "call_new" (func (param i32 i32 i32 i32 i32 i32 i32 i32)))', "function 'call_new' from 'ic0'"],
    ['a function from another module', '(import "env" "abort" (func))', "function 'abort' from 'env'"],
    ['a memory', '(import "env" "memory" (memory 1))', "memory 'memory' from 'env'"]
  ])('refuses a module importing %s, naming it', async (_what, importText, named) => {
    const module = await wat(`(module ${importText})`)
    const failure = await createWasmEngine().install(module, NO_ARGS, makeEnv()).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(InvalidModuleError)
    expect((failure as Error).message).toContain(named)
  })

  it('refuses a canister export that takes parameters', async () => {
    const module = await wat('(module (func (export "canister_update f") (param i32)))')
    await expect(createWasmEngine().install(module, NO_ARGS, makeEnv())).rejects.toThrow(/invalid function signature[\s\S]*'canister_update f'/)
  })

  it('accepts a gzip-compressed module and hashes it as installed', async () => {
    const gzipped = new Uint8Array(gzipSync(await loadCanisterModule('counter_v1')))
    const env = makeEnv()
    const canister = await createWasmEngine().install(gzipped, NO_ARGS, env)
    expect(nat64Reply(canister.update('inc', NO_ARGS, env))).toBe(1n)
    expect(Buffer.from(canister.moduleHash).toString('hex')).toBe(createHash('sha256').update(gzipped).digest('hex'))
    expect(readModuleMetadata(gzipped).has('candid:service')).toBe(true)
  })

  it('refuses bytes that are not Wasm', async () => {
    await expect(createWasmEngine().install(new TextEncoder().encode('hello'), NO_ARGS, makeEnv())).rejects.toThrow(InvalidModuleError)
  })

  it('reports a trap in canister_init as CanisterExecutionError with the IC wording', async () => {
    const module = await wat(`(module (func (export "canister_init") unreachable))`)
    const failure = await createWasmEngine().install(module, NO_ARGS, makeEnv()).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(CanisterExecutionError)
    expect((failure as CanisterExecutionError).reject).toMatchObject({ code: 5, errorCode: 'IC0502' })
  })

  it('passes the install argument and caller to canister_init', async () => {
    const env = makeEnv({ caller: Principal.fromText('aaaaa-aa') })
    const module = await wat(`(module
      (import "ic0" "msg_arg_data_size" (func $size (result i32)))
      (import "ic0" "msg_arg_data_copy" (func $copy (param i32 i32 i32)))
      (import "ic0" "msg_caller_size" (func $caller_size (result i32)))
      (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
      (import "ic0" "msg_reply" (func $reply))
      (memory (export "memory") 1)
      (global $len (mut i32) (i32.const 0))
      (func (export "canister_init")
        (global.set $len (call $size))
        (call $copy (i32.const 0) (i32.const 0) (global.get $len))
        (i32.store (i32.const 60) (call $caller_size)))
      (func (export "canister_query arg") (call $append (i32.const 0) (global.get $len)) (call $reply))
      (func (export "canister_query caller_size") (call $append (i32.const 60) (i32.const 4)) (call $reply)))`)
    const canister = await createWasmEngine().install(module, Uint8Array.of(1, 2, 3), env)
    expect(canister.query('arg', NO_ARGS, env)).toEqual({ reply: Uint8Array.of(1, 2, 3) })
    expect(canister.query('caller_size', NO_ARGS, env)).toEqual({ reply: Uint8Array.of(0, 0, 0, 0) })
  })

  it('carries the Candid interface of every test canister as icp:public candid:service', async () => {
    for (const name of ['counter_v1', 'counter_v2', 'ballast'] as const) {
      const service = readModuleMetadata(await loadCanisterModule(name)).get('candid:service')
      expect(new TextDecoder().decode(service)).toMatch(/^service : \{/)
    }
  })
})

describe('capture and restore', () => {
  it('round-trips a canister exactly, without running its start function or canister_init', async () => {
    const engine = createWasmEngine()
    const installEnv = makeEnv()
    const canister = await engine.install(await wat(MUTATOR), NO_ARGS, installEnv)
    expect(installEnv.printed).toEqual(['boom'])
    canister.update('commit', NO_ARGS, installEnv)
    const snapshot = canister.capture()

    const restored = await engine.restore(snapshot)
    expect(installEnv.printed).toEqual(['boom'])
    expect(digest(restored.capture())).toEqual(digest(snapshot))
    expect(restored.moduleHash).toEqual(canister.moduleHash)
    // Globals come in export order: the module's own exports, then the instrumented ones.
    expect(snapshot.globals).toEqual([{ i32: -1 }, { i64: -2n }, { f32: 3.5 }, { f64: -4.75 }])
    expect(snapshot.globalTimer).toBe(42n)
  })

  it('restores a counter that then goes on counting from the snapshot', async () => {
    const env = makeEnv()
    const engine = createWasmEngine()
    const counter = await installCounter(env)
    for (let i = 0; i < 3; i++) counter.update('inc', NO_ARGS, env)
    const snapshot = counter.capture()
    counter.update('inc', NO_ARGS, env)

    const restored = await engine.restore(snapshot)
    expect(nat64Reply(restored.query('get', NO_ARGS, env))).toBe(3n)
    expect(nat64Reply(restored.update('inc', NO_ARGS, env))).toBe(4n)
    expect(nat64Reply(counter.query('get', NO_ARGS, env))).toBe(4n)
  })

  it('refuses a snapshot whose globals do not fit the module', async () => {
    const counter = await installCounter()
    const snapshot = { ...counter.capture(), globals: [{ i32: 1 }] }
    await expect(createWasmEngine().restore(snapshot)).rejects.toThrow(/globals of canister module and snapshot metadata do not match/)
  })
})

describe('ballast', () => {
  it('grows to 64 MiB of heap and 64 MiB of stable memory whose bytes match the checksum', async () => {
    const env = makeEnv()
    const engine = createWasmEngine()
    const ballast = await engine.install(await loadCanisterModule('ballast'), NO_ARGS, env)
    const checksum = nat64Reply(ballast.update('grow', new Uint8Array(IDL.encode([IDL.Nat32, IDL.Nat32], [64, 64])), env))

    expect(ballast.wasmMemorySize).toBe(BALLAST_HEAP_START + 64 * MIB)
    expect(ballast.stableMemorySize).toBe(64 * MIB)
    const snapshot = ballast.capture()
    expect(snapshot.wasmMemory.length).toBe(BALLAST_HEAP_START + 64 * MIB)
    expect(snapshot.stableMemory.length).toBe(64 * MIB)
    expect(ballastChecksum(snapshot.wasmMemory, snapshot.stableMemory)).toBe(checksum)
    expect(nat64Reply(ballast.query('checksum', NO_ARGS, env))).toBe(checksum)
    // Deterministic, non-zero content: no zero byte anywhere in the ballast.
    expect(snapshot.wasmMemory.subarray(BALLAST_HEAP_START).includes(0)).toBe(false)
    expect(snapshot.stableMemory.includes(0)).toBe(false)

    const restored = await engine.restore(snapshot)
    expect(nat64Reply(restored.query('checksum', NO_ARGS, env))).toBe(checksum)
  })
})
