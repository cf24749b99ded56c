/**
 * The `ic0` System API as Wasm imports. Each function checks that it may run in the current entry
 * point and that its memory ranges are valid, and aborts the message with the replica's wording
 * otherwise. Heap addresses arrive as signed JS numbers and are read as unsigned.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#system-api-imports
 */
import type { ExecutionEnv } from '../contracts.js'
import { HypervisorTrap } from './errors.js'
import { StableMemory } from './stable-memory.js'

/** Where the canister is running code; decides which System API calls are allowed. */
export type EntryPoint = 'start' | 'init' | 'pre_upgrade' | 'post_upgrade' | 'update' | 'query'

/** Ingress replies are bounded like inter-canister payloads; query replies get 3 MiB. */
const MAX_REPLY_BYTES: Record<'update' | 'query', number> = { update: 2 * 1024 * 1024, query: 3 * 1024 * 1024 }
const CERTIFIED_DATA_MAX_BYTES = 32
const MAX_U64 = (1n << 64n) - 1n

/** The state of one running message, created by the canister for each entry-point call. */
export interface MessageState {
  entry: EntryPoint
  arg: Uint8Array
  env: ExecutionEnv
  replyChunks: Uint8Array[]
  replySize: number
  outcome?: { reply: Uint8Array } | { reject: string }
}

/** What the System API reads and changes in the canister that imports it. */
export interface SystemApiHost {
  /** The current message; undefined while no entry point runs (then every call is refused). */
  message(): MessageState | undefined
  /** A fresh view of the Wasm memory (the buffer changes when the memory grows). */
  heap(): Uint8Array
  stable(): StableMemory
  setCertifiedData(data: Uint8Array): void
  /** Sets the global timer (0 = inactive) and returns the previous deadline (0 if inactive). */
  swapGlobalTimer(deadlineNs: bigint): bigint
}

/** The names our canisters may import from `ic0`; anything else is refused at install. */
export const SUPPORTED_IC0_FUNCTIONS: ReadonlySet<string> = new Set(Object.keys(createSystemApi(unusedHost())))

export function createSystemApi(host: SystemApiHost): Record<string, (...args: never[]) => unknown> {
  const during = (name: string, allowed: readonly EntryPoint[]): MessageState => {
    const message = host.message()
    if (message === undefined) throw violation(`"ic0_${name}" cannot be executed outside of a message`)
    if (!allowed.includes(message.entry)) {
      throw violation(`"ic0_${name}" cannot be executed in ${modeName(message.entry)} mode`)
    }
    return message
  }
  const anyButStart: readonly EntryPoint[] = ['init', 'pre_upgrade', 'post_upgrade', 'update', 'query']
  const withArg: readonly EntryPoint[] = ['init', 'post_upgrade', 'update', 'query']
  const replying: readonly EntryPoint[] = ['update', 'query']
  const changingState: readonly EntryPoint[] = ['init', 'pre_upgrade', 'post_upgrade', 'update']
  const everywhere: readonly EntryPoint[] = ['start', ...anyButStart]

  const copyToHeap = (name: string, source: Uint8Array, dst: number, offset: number, size: number): void => {
    const bytes = subslice(`ic0.${name} payload`, source, u32(offset), u32(size))
    const heap = host.heap()
    checkRange(`ic0.${name} heap`, u32(dst), bytes.length, heap.length)
    heap.set(bytes, u32(dst))
  }
  const readHeap = (context: string, src: number, size: number): Uint8Array => subslice(context, host.heap(), u32(src), u32(size))
  const writeU128 = (name: string, dst: number, value: bigint): void => {
    const heap = host.heap()
    const at = u32(dst)
    if (at + 16 > heap.length) {
      throw violation(`ic0_${name} failed because dst + size is out of bounds.Found dst = ${at} and size = 16 while must be <= ${heap.length}`)
    }
    const view = new DataView(heap.buffer, heap.byteOffset + at, 16)
    view.setBigUint64(0, value & MAX_U64, true)
    view.setBigUint64(8, (value >> 64n) & MAX_U64, true)
  }

  const stableRead = (dst: number, offset: number, size: number): void => {
    const stable = host.stable()
    if (offset + size > stable.sizeInBytes) throw trapped('stable memory out of bounds')
    const heap = host.heap()
    if (dst + size > heap.length) throw trapped('heap out of bounds')
    stable.read(offset, heap.subarray(dst, dst + size))
  }
  const stableWrite = (offset: number, src: number, size: number): void => {
    const stable = host.stable()
    if (offset + size > stable.sizeInBytes) throw trapped('stable memory out of bounds')
    const heap = host.heap()
    if (src + size > heap.length) throw trapped('heap out of bounds')
    stable.write(offset, heap.subarray(src, src + size))
  }

  return {
    msg_arg_data_size: (): number => during('msg_arg_data_size', withArg).arg.length,
    msg_arg_data_copy: (dst: number, offset: number, size: number): void => {
      copyToHeap('msg_arg_data_copy', during('msg_arg_data_copy', withArg).arg, dst, offset, size)
    },
    msg_caller_size: (): number => during('msg_caller_size', anyButStart).env.caller.toUint8Array().length,
    msg_caller_copy: (dst: number, offset: number, size: number): void => {
      copyToHeap('msg_caller_copy', during('msg_caller_copy', anyButStart).env.caller.toUint8Array(), dst, offset, size)
    },
    // Only reply and reject callbacks of inter-canister calls may read a reject; the emulator has none.
    msg_reject_code: (): number => {
      throw unavailable('msg_reject_code', host)
    },
    msg_reject_msg_size: (): number => {
      throw unavailable('msg_reject_msg_size', host)
    },
    msg_reject_msg_copy: (): void => {
      throw unavailable('msg_reject_msg_copy', host)
    },
    msg_reply_data_append: (src: number, size: number): void => {
      const message = during('msg_reply_data_append', replying)
      if (message.outcome !== undefined) throw violation('ic0.msg_reply_data_append: the call is already replied')
      const bytes = readHeap('ic0.msg_reply_data_append', src, size)
      const limit = MAX_REPLY_BYTES[message.entry === 'query' ? 'query' : 'update']
      if (message.replySize + bytes.length > limit) {
        throw violation(`ic0.msg_reply_data_append: application payload size (${message.replySize + bytes.length}) cannot be larger than ${limit}.`)
      }
      message.replyChunks.push(bytes.slice())
      message.replySize += bytes.length
    },
    msg_reply: (): void => {
      const message = during('msg_reply', replying)
      if (message.outcome !== undefined) throw violation('ic0.msg_reply: the call is already replied')
      message.outcome = { reply: concat(message.replyChunks, message.replySize) }
    },
    msg_reject: (src: number, size: number): void => {
      const message = during('msg_reject', replying)
      if (message.outcome !== undefined) throw violation('ic0.msg_reject: the call is already replied')
      message.outcome = { reject: utf8(readHeap('ic0.msg_reject', src, size)) }
    },
    // Ingress messages carry no cycles, so there is never anything to accept.
    msg_cycles_available128: (dst: number): void => {
      during('msg_cycles_available128', replying)
      writeU128('msg_cycles_available128', dst, 0n)
    },
    msg_cycles_accept128: (_maxHigh: bigint, _maxLow: bigint, dst: number): void => {
      during('msg_cycles_accept128', ['update'])
      writeU128('msg_cycles_accept128', dst, 0n)
    },
    canister_self_size: (): number => during('canister_self_size', anyButStart).env.canisterId.toUint8Array().length,
    canister_self_copy: (dst: number, offset: number, size: number): void => {
      copyToHeap('canister_self_copy', during('canister_self_copy', anyButStart).env.canisterId.toUint8Array(), dst, offset, size)
    },
    canister_cycle_balance: (): bigint => {
      const balance = during('canister_cycle_balance', anyButStart).env.cycleBalance
      if (balance > MAX_U64) throw trapped('cycles amount exceeds 64-bit representation')
      return balance
    },
    canister_cycle_balance128: (dst: number): void => {
      writeU128('canister_cycle_balance128', dst, during('canister_cycle_balance128', anyButStart).env.cycleBalance)
    },
    canister_status: (): number => during('canister_status', anyButStart).env.status,
    canister_version: (): bigint => during('canister_version', anyButStart).env.canisterVersion,
    time: (): bigint => during('time', anyButStart).env.timeNs,
    global_timer_set: (deadlineNs: bigint): bigint => {
      during('global_timer_set', changingState)
      return host.swapGlobalTimer(BigInt.asUintN(64, deadlineNs))
    },
    certified_data_set: (src: number, size: number): void => {
      during('certified_data_set', changingState)
      if (u32(size) > CERTIFIED_DATA_MAX_BYTES) {
        throw violation(`ic0_certified_data_set failed because the passed data must be no larger than ${CERTIFIED_DATA_MAX_BYTES} bytes. Found ${u32(size)} bytes.`)
      }
      host.setCertifiedData(readHeap('ic0.certified_data_set', src, size).slice())
    },
    // Replicated execution has no certificate, and the emulator does not hand one to queries.
    data_certificate_present: (): number => {
      during('data_certificate_present', anyButStart)
      return 0
    },
    debug_print: (src: number, size: number): void => {
      const message = during('debug_print', everywhere)
      let text: string
      try {
        text = utf8(readHeap('ic0.debug_print', src, size))
      } catch {
        // As on the replica, a bad range never traps here.
        text = '(debug message out of memory bounds)'
      }
      message.env.debugPrint(text)
    },
    trap: (src: number, size: number): never => {
      during('trap', everywhere)
      let text: string
      try {
        text = utf8(readHeap('ic0.trap', src, size))
      } catch {
        text = '(trap message out of memory bounds)'
      }
      throw new HypervisorTrap({ kind: 'called-trap', message: text })
    },
    stable_size: (): number => {
      during('stable_size', anyButStart)
      return host.stable().sizeInPages
    },
    stable_grow: (pages: number): number => {
      during('stable_grow', anyButStart)
      return host.stable().grow(u32(pages), 65_536)
    },
    stable_read: (dst: number, offset: number, size: number): void => {
      during('stable_read', anyButStart)
      stableRead(u32(dst), u32(offset), u32(size))
    },
    stable_write: (offset: number, src: number, size: number): void => {
      during('stable_write', anyButStart)
      stableWrite(u32(offset), u32(src), u32(size))
    },
    stable64_size: (): bigint => {
      during('stable64_size', anyButStart)
      return BigInt(host.stable().sizeInPages)
    },
    stable64_grow: (pages: bigint): bigint => {
      during('stable64_grow', anyButStart)
      const wanted = BigInt.asUintN(64, pages)
      if (wanted > BigInt(Number.MAX_SAFE_INTEGER)) return -1n
      return BigInt(host.stable().grow(Number(wanted)))
    },
    stable64_read: (dst: bigint, offset: bigint, size: bigint): void => {
      during('stable64_read', anyButStart)
      stableRead(...safeNumbers(dst, offset, size))
    },
    stable64_write: (offset: bigint, src: bigint, size: bigint): void => {
      during('stable64_write', anyButStart)
      const [o, s, n] = safeNumbers(offset, src, size)
      stableWrite(o, s, n)
    }
  }
}

function modeName(entry: EntryPoint): string {
  switch (entry) {
    case 'init':
    case 'post_upgrade':
      return 'init'
    case 'query':
      return 'non-replicated query'
    default:
      return entry
  }
}

function unavailable(name: string, host: SystemApiHost): HypervisorTrap {
  const entry = host.message()?.entry
  return violation(`"ic0_${name}" cannot be executed in ${entry === undefined ? 'this' : modeName(entry)} mode`)
}

function violation(description: string): HypervisorTrap {
  return new HypervisorTrap({ kind: 'contract-violation', description })
}

function trapped(trapCode: string): HypervisorTrap {
  return new HypervisorTrap({ kind: 'trapped', trapCode })
}

function u32(value: number): number {
  return value >>> 0
}

/** 64-bit addresses beyond 2^53 can never be in bounds, so they map to an out-of-bounds value. */
function safeNumbers(...values: bigint[]): [number, number, number] {
  const [a, b, c] = values.map((value) => {
    const unsigned = BigInt.asUintN(64, value)
    return unsigned > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(unsigned)
  })
  return [a ?? 0, b ?? 0, c ?? 0]
}

function checkRange(context: string, start: number, length: number, size: number): void {
  if (start + length > size) {
    throw violation(`${context}: src=${start} + length=${length} exceeds the slice size=${size}`)
  }
}

function subslice(context: string, bytes: Uint8Array, start: number, length: number): Uint8Array {
  checkRange(context, start, length, bytes.length)
  return bytes.subarray(start, start + length)
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes)
}

function unusedHost(): SystemApiHost {
  return {
    message: () => undefined,
    heap: () => new Uint8Array(0),
    stable: () => new StableMemory(),
    setCertifiedData: () => undefined,
    swapGlobalTimer: () => 0n
  }
}

