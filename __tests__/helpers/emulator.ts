/**
 * A running emulator with a controller identity, counter canisters and a command context, all over
 * real HTTP with the real agent. Every test file that starts one closes it in `afterAll`.
 */
import { Actor, HttpAgent } from '@icp-sdk/core/agent'
import { IcManagementCanister } from '@icp-sdk/canisters/ic-management'
import type { Principal } from '@icp-sdk/core/principal'
import { Emulator, type EmulatorOptions, type ReplyShape } from '../../emulator/src/index.js'
import { counterIdl, loadCanisterModule, type CounterService } from '../../emulator/canisters/index.js'
import type { CommandContext } from '../../src/core/commands/types.js'
import { Deadline } from '../../src/core/deadline.js'
import type { ManagementClient } from '../../src/core/ic/management.js'
import { parseIdentity, type ParsedIdentity } from '../../src/core/identity.js'
import type { Logger } from '../../src/core/logger.js'
import { connect } from '../../src/core/session.js'
import { MemoryStateStore, type StateStore } from '../../src/core/state.js'
import { newPem } from './keys.js'

export interface RecordingLogger extends Logger {
  lines: string[]
  warnings: string[]
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = []
  const warnings: string[] = []
  return {
    lines,
    warnings,
    debug: () => undefined,
    info: (m) => lines.push(m),
    warning: (m) => {
      warnings.push(m)
      lines.push(`warning: ${m}`)
    },
    error: (m) => lines.push(`error: ${m}`),
    group: async (name, fn) => {
      lines.push(`== ${name}`)
      return fn()
    }
  }
}

export interface TestNetwork {
  net: Emulator
  pem: string
  identity: ParsedIdentity
  client: ManagementClient
  /** A fresh context; `state` and `logger` can be shared to inspect them. */
  context(options?: { state?: StateStore; logger?: Logger; timeoutSeconds?: number; concurrency?: number }): CommandContext
  /** A fresh context whose client signs as `identity` (another key than the test identity). */
  contextAs(identity: ParsedIdentity): Promise<CommandContext>
  /** Creates and installs a counter canister controlled by the test identity (plus `extra`). */
  createCounter(options?: { version?: 'counter_v1' | 'counter_v2'; controllers?: Principal[]; subnet?: number }): Promise<Principal>
  counter(canisterId: Principal): CounterService
  /** Upgrades the canister to another counter module through the real management canister. */
  upgrade(canisterId: Principal, version: 'counter_v1' | 'counter_v2'): Promise<void>
  moduleHashOf(canisterId: Principal): string | undefined
  close(): Promise<void>
}

/** `subnets`: more than one gives each its own canister range and key, as on mainnet (`createCounter`'s `subnet` picks one). */
export async function startTestNetwork(
  options: { latencyMs?: number; stopTimeoutMs?: number; subnets?: number; statusShape?: ReplyShape; onCall?: EmulatorOptions['onCall'] } = {}
): Promise<TestNetwork> {
  const net = await Emulator.start({ seed: 'action-tests', ...options })
  const pem = newPem()
  const identity = parseIdentity(pem)
  const client = await connect({ identity, network: { name: 'local', host: net.url, rootKey: { kind: 'pinned', key: net.rootKey, mainnet: false } } })
  const agent = await HttpAgent.create({ host: net.url, identity: identity.identity, rootKey: net.rootKey })
  const ic = IcManagementCanister.create({ agent }) as { installCode(p: { mode: { upgrade: [] }; canisterId: Principal; wasmModule: Uint8Array; arg: Uint8Array }): Promise<void> }
  const v1 = await loadCanisterModule('counter_v1')
  const v2 = await loadCanisterModule('counter_v2')
  return {
    net,
    pem,
    identity,
    client,
    context: ({ state, logger, timeoutSeconds = 60, concurrency = 4 } = {}) => ({
      client,
      logger: logger ?? recordingLogger(),
      state: state ?? new MemoryStateStore(),
      deadline: new Deadline(timeoutSeconds),
      concurrency
    }),
    contextAs: async (other) => ({
      client: await connect({ identity: other, network: { name: 'local', host: net.url, rootKey: { kind: 'pinned', key: net.rootKey, mainnet: false } } }),
      logger: recordingLogger(),
      state: new MemoryStateStore(),
      deadline: new Deadline(60),
      concurrency: 4
    }),
    createCounter: ({ version = 'counter_v1', controllers = [], subnet } = {}) =>
      net.createCanister({ controllers: [identity.identity.getPrincipal(), ...controllers], wasmModule: version === 'counter_v1' ? v1 : v2, ...(subnet === undefined ? {} : { subnet }) }),
    counter: (canisterId) => Actor.createActor<CounterService>(counterIdl, { agent, canisterId }),
    upgrade: (canisterId, version) =>
      ic.installCode({ mode: { upgrade: [] }, canisterId, wasmModule: version === 'counter_v1' ? v1 : v2, arg: new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]) }),
    moduleHashOf: (canisterId) => {
      const hash = net.canister(canisterId)?.moduleHash
      return hash === undefined ? undefined : Buffer.from(hash).toString('hex')
    },
    close: () => net.close()
  }
}
