/**
 * A tiny `Replica` for wire-layer tests: one canister with a counter, so the HTTP layer can be tested
 * on its own. `slow` waits for `release()`, which lets tests observe non-terminal call states.
 */
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import { createHash } from 'node:crypto'
import type { CanisterPublicInfo, ExecResult, MessageContext, Reject, Replica } from '../../src/contracts.js'

export const COUNTER_ID = Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai')

export const counterIdl: IDL.InterfaceFactory = ({ IDL: I }) =>
  I.Service({
    inc: I.Func([], [I.Nat], []),
    slow: I.Func([], [I.Nat], []),
    fail: I.Func([], [], []),
    read: I.Func([], [I.Nat], ['query']),
    boom: I.Func([], [I.Nat], ['query'])
  })

export class FakeReplica implements Replica {
  counter = 0n
  /** How many update calls actually executed. */
  executions = 0
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined
  readonly controller: Principal

  constructor(controller: Principal) {
    this.controller = controller
  }

  holdSlowCalls(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve
    })
  }

  release(): void {
    this.open?.()
  }

  inspectIngress(msg: MessageContext): Reject | null {
    if (!this.hasCanister(msg.canisterId)) return notFound(msg.canisterId)
    return null
  }

  async executeUpdate(msg: MessageContext): Promise<ExecResult> {
    this.executions++
    if (msg.methodName === 'slow' && this.gate !== undefined) await this.gate
    if (msg.methodName === 'inc' || msg.methodName === 'slow') {
      this.counter++
      return { reply: new Uint8Array(IDL.encode([IDL.Nat], [this.counter])) }
    }
    if (msg.methodName === 'fail') return { reject: { code: 4, errorCode: 'IC0406', message: 'fail was called' } }
    return { reject: { code: 5, errorCode: 'IC0536', message: `Canister ${msg.canisterId.toText()} has no update method '${msg.methodName}'` } }
  }

  executeQuery(msg: MessageContext): ExecResult {
    if (!this.hasCanister(msg.canisterId)) return { reject: notFound(msg.canisterId) }
    if (msg.methodName === 'read') return { reply: new Uint8Array(IDL.encode([IDL.Nat], [this.counter])) }
    return { reject: { code: 5, errorCode: 'IC0503', message: `Canister ${msg.canisterId.toText()} trapped: boom` } }
  }

  hasCanister(id: Principal): boolean {
    return id.toText() === COUNTER_ID.toText()
  }

  canisterInfo(id: Principal): CanisterPublicInfo | undefined {
    if (!this.hasCanister(id)) return undefined
    return {
      controllers: [this.controller],
      moduleHash: new Uint8Array(createHash('sha256').update('fake module').digest()),
      metadata: new Map([['candid:service', new TextEncoder().encode('service : { inc : () -> (nat) }')]])
    }
  }
}

function notFound(id: Principal): Reject {
  return { code: 3, errorCode: 'IC0301', message: `Canister ${id.toText()} not found.` }
}
