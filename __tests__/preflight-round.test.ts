import { describe, expect, it } from '@jest/globals'
import { Principal } from '@icp-sdk/core/principal'
import { CanisterNotFoundError, NotAControllerError, SnapshotActionError, ViewerNotControllerError } from '../src/core/errors.js'
import type { CanisterStatus, ManagementClient, SnapshotInfo } from '../src/core/ic/management.js'
import { preflightStatusAndSnapshots } from '../src/core/phases/lifecycle.js'

const ME = 'aaaaa-aa'
const canisterId = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai')

function status(controllers: string[]): CanisterStatus {
  return { status: 'running', moduleHash: 'ab', controllers, cycles: 0n } as unknown as CanisterStatus
}

interface Script {
  status: () => Promise<CanisterStatus>
  list: () => Promise<SnapshotInfo[]>
}

function fakeClient(script: Script) {
  const calls: string[] = []
  const client = {
    principal: ME,
    network: 'local',
    canisterStatus: (_id: Principal, options?: { certified?: boolean }) => {
      calls.push(`status certified=${String(options?.certified)}`)
      return script.status()
    },
    listSnapshots: () => {
      calls.push('list')
      return script.list()
    }
  }
  return { client: client as unknown as ManagementClient, calls }
}

describe('preflightStatusAndSnapshots', () => {
  it('asks for a certified status and the list together, before either answers', async () => {
    let answer: (() => void) | undefined
    const gate = new Promise<void>((resolve) => (answer = resolve))
    const { client, calls } = fakeClient({
      status: () => gate.then(() => status([ME])),
      list: () => gate.then(() => [])
    })
    const pending = preflightStatusAndSnapshots(client, canisterId, 'rollback')
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls.sort()).toEqual(['list', 'status certified=true'])
    answer?.()
    await expect(pending).resolves.toEqual({ status: status([ME]), existing: [] })
  })

  it('reports the status error when both fail, since it names the cause', async () => {
    const { client } = fakeClient({
      status: () => Promise.reject(new CanisterNotFoundError({ canisterId: canisterId.toText() })),
      list: () => Promise.reject(new SnapshotActionError('list failed too'))
    })
    await expect(preflightStatusAndSnapshots(client, canisterId, 'rollback')).rejects.toBeInstanceOf(CanisterNotFoundError)
  })

  it('refuses a canister the identity does not control even when the list was readable, naming the viewer rights and the operation', async () => {
    const { client } = fakeClient({ status: () => Promise.resolve(status(['2vxsx-fae'])), list: () => Promise.resolve([]) })
    const refused = preflightStatusAndSnapshots(client, canisterId, 'rollback')
    await expect(refused).rejects.toBeInstanceOf(ViewerNotControllerError)
    await expect(refused).rejects.toThrow(/snapshot_visibility allows it.*'rollback' needs a controller/)
  })

  it('refuses a stranger (status and list both refused) with the plain controller error', async () => {
    const notController = new NotAControllerError({ canisterId: canisterId.toText(), principal: ME })
    const { client } = fakeClient({ status: () => Promise.reject(notController), list: () => Promise.reject(new SnapshotActionError('list refused')) })
    const refused = preflightStatusAndSnapshots(client, canisterId, 'rollback')
    await expect(refused).rejects.toBe(notController)
  })

  it('reports the list error when only the list fails', async () => {
    const { client } = fakeClient({ status: () => Promise.resolve(status([ME])), list: () => Promise.reject(new SnapshotActionError('list failed')) })
    await expect(preflightStatusAndSnapshots(client, canisterId, 'rollback')).rejects.toThrow('list failed')
  })
})
