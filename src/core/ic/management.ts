/**
 * The management canister client: an agent `Actor` over the project's own Candid (management-idl.ts,
 * which declares only the fields the action reads, so replies from older and newer replicas decode),
 * returning plain values and mapping every agent error to a typed `SnapshotActionError` at this
 * boundary.
 *
 * The four snapshot-data methods keep `IcManagementCanister`'s names and shapes so this client
 * satisfies the transfer engine's `SnapshotDataClient` structurally.
 *
 * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-management-canister
 */
import { Actor, type ActorSubclass, type Agent } from '@icp-sdk/core/agent'
import { Principal } from '@icp-sdk/core/principal'
import { mapAgentError } from '../errors.js'
import { snapshotIdToBytes, snapshotIdToHex, type SnapshotId } from '../snapshot-id.js'
import { effectiveCanisterId, managementIdl, type MetadataReply, type SnapshotReply, type StatusReply } from './management-idl.js'
import { encodeUploadDataArg, snapshotIdBytes, uploadChunkFrame, type UploadDataTarget } from './upload-data-arg.js'

import type {
  CanisterSnapshotMetadataKind,
  IcManagementService,
  ReadSnapshotDataParams,
  SnapshotIdParam,
  SnapshotMetadata,
  SnapshotParams,
  UploadCanisterSnapshotMetadataParam,
  UploadSnapshotDataParams,
  UploadSnapshotMetadataParams
} from './management.types.js'

export type * from './management.types.js'

export type CanisterRunStatus = 'running' | 'stopping' | 'stopped'

/** The parts of the memory breakdown a snapshot copies (bytes), as `canister_status` reports them. */
export interface MemoryMetrics {
  wasmMemorySize: bigint
  stableMemorySize: bigint
  globalMemorySize: bigint
  wasmBinarySize: bigint
  wasmChunkStoreSize: bigint
}

/** What the action reads of `canister_status`. */
export interface CanisterStatus {
  status: CanisterRunStatus
  /** Hex SHA-256 of the installed module; undefined for an empty canister. */
  moduleHash: string | undefined
  controllers: string[]
  cycles: bigint
  /** Undefined when the replica predates `memory_metrics` (2025). */
  memoryMetrics: MemoryMetrics | undefined
  freezingThreshold: bigint
  idleCyclesBurnedPerDay: bigint
}

export interface SnapshotInfo {
  id: SnapshotId
  /** Nanoseconds since the epoch, as the IC reports it. */
  takenAtNs: bigint
  totalSize: bigint
}

export interface CallContext {
  host: string
  /** `ic`, `local` or the URL, used in suggested commands. */
  network: string
  /** The identity's principal, named in "not a controller" messages. */
  principal: string
}

export interface ManagementClientOptions extends CallContext {
  agent: Agent
}

export class ManagementClient {
  private readonly ic: IcManagementService
  private readonly agent: Agent
  private readonly context: CallContext

  // Private constructor; use ManagementClient.create().
  private constructor(ic: IcManagementService, agent: Agent, context: CallContext) {
    this.ic = ic
    this.agent = agent
    this.context = context
  }

  static create({ agent, host, network, principal }: ManagementClientOptions): ManagementClient {
    return new ManagementClient(managementService(agent), agent, { host, network, principal })
  }

  get principal(): string {
    return this.context.principal
  }

  get network(): string {
    return this.context.network
  }

  /**
   * `canister_status` as a query (spec 0.51.0; the agent verifies the node signatures), or with
   * `certified` as an update call whose reply is certified by the subnet, at the cost of a round.
   * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-canister_status
   */
  async canisterStatus(canisterId: Principal, { certified = false }: { certified?: boolean } = {}): Promise<CanisterStatus> {
    const r = await this.call('canister_status', canisterId, undefined, () => this.ic.canisterStatus({ canisterId, certified }))
    const m = r.memory_metrics[0]
    return {
      status: 'running' in r.status ? 'running' : 'stopping' in r.status ? 'stopping' : 'stopped',
      moduleHash: r.module_hash[0] === undefined ? undefined : Buffer.from(r.module_hash[0]).toString('hex'),
      controllers: r.settings.controllers.map((p) => p.toText()),
      cycles: r.cycles,
      memoryMetrics:
        m === undefined
          ? undefined
          : {
              wasmMemorySize: m.wasm_memory_size,
              stableMemorySize: m.stable_memory_size,
              globalMemorySize: m.global_memory_size,
              wasmBinarySize: m.wasm_binary_size,
              wasmChunkStoreSize: m.wasm_chunk_store_size
            },
      freezingThreshold: r.settings.freezing_threshold,
      idleCyclesBurnedPerDay: r.idle_cycles_burned_per_day
    }
  }

  /**
   * The subnet hosting a canister, from the delegation of a certificate the agent verifies against
   * the root key (`read_state` of `/time` at the canister). A certificate without delegation is
   * signed by the root subnet itself, which then hosts every canister the network answers for.
   * @see https://internetcomputer.org/docs/references/ic-interface-spec#certification-delegation
   */
  async subnetOf(canisterId: Principal): Promise<string> {
    const agent = this.agent as Agent & { getSubnetIdFromCanister?: (id: Principal) => Promise<Principal> }
    if (agent.getSubnetIdFromCanister === undefined) throw new TypeError('the agent cannot tell the subnet of a canister')
    const subnet = await this.call('read_state', canisterId, undefined, () => (agent.getSubnetIdFromCanister as (id: Principal) => Promise<Principal>)(canisterId))
    return subnet.toText()
  }

  /** Resolves once the canister is stopped; IC0206 (timeout) maps to `StopTimeoutError`. */
  async stop(canisterId: Principal): Promise<void> {
    await this.call('stop_canister', canisterId, undefined, () => this.ic.stopCanister(canisterId))
  }

  async start(canisterId: Principal): Promise<void> {
    await this.call('start_canister', canisterId, undefined, () => this.ic.startCanister(canisterId))
  }

  /**
   * With `replace`, the named snapshot is deleted once the new one exists; a new ID is returned.
   * @see https://internetcomputer.org/docs/references/ic-interface-spec#ic-take_canister_snapshot
   */
  async takeSnapshot({ canisterId, replace }: { canisterId: Principal; replace?: SnapshotId }): Promise<SnapshotInfo> {
    const r = await this.call('take_canister_snapshot', canisterId, replace, () =>
      this.ic.takeCanisterSnapshot({ canisterId, ...(replace === undefined ? {} : { snapshotId: snapshotIdToBytes(replace) }) })
    )
    return toSnapshotInfo(r)
  }

  async loadSnapshot({ canisterId, snapshotId }: { canisterId: Principal; snapshotId: SnapshotId }): Promise<void> {
    await this.call('load_canister_snapshot', canisterId, snapshotId, () =>
      this.ic.loadCanisterSnapshot({ canisterId, snapshotId: snapshotIdToBytes(snapshotId) })
    )
  }

  /** Oldest first (by the per-canister counter in the ID, which is how the IC allocates them). */
  async listSnapshots(canisterId: Principal): Promise<SnapshotInfo[]> {
    const r = await this.call('list_canister_snapshots', canisterId, undefined, () => this.ic.listCanisterSnapshots({ canisterId }))
    return r.map(toSnapshotInfo).sort((a, b) => compareSnapshots(a, b))
  }

  async deleteSnapshot({ canisterId, snapshotId }: { canisterId: Principal; snapshotId: SnapshotId }): Promise<void> {
    await this.call('delete_canister_snapshot', canisterId, snapshotId, () =>
      this.ic.deleteCanisterSnapshot({ canisterId, snapshotId: snapshotIdToBytes(snapshotId) })
    )
  }

  readCanisterSnapshotMetadata(params: SnapshotParams): Promise<SnapshotMetadata> {
    return this.call('read_canister_snapshot_metadata', params.canisterId, idText(params.snapshotId), () =>
      this.ic.readCanisterSnapshotMetadata(params)
    )
  }

  readCanisterSnapshotData(params: ReadSnapshotDataParams): Promise<{ chunk: Uint8Array }> {
    return this.call('read_canister_snapshot_data', params.canisterId, idText(params.snapshotId), async () => {
      const { chunk } = await this.ic.readCanisterSnapshotData(params)
      return { chunk: bytes(chunk) }
    })
  }

  uploadCanisterSnapshotMetadata(params: UploadSnapshotMetadataParams): Promise<{ snapshot_id: Uint8Array }> {
    return this.call('upload_canister_snapshot_metadata', params.canisterId, idText(params.snapshotId), async () => {
      const { snapshot_id } = await this.ic.uploadCanisterSnapshotMetadata(params)
      return { snapshot_id: bytes(snapshot_id) }
    })
  }

  /** Room in the argument itself for a slice read from disk (see upload-data-arg.ts). */
  uploadChunkBuffer(target: UploadDataTarget, size: number): Uint8Array {
    return uploadChunkFrame(target, size)
  }

  /**
   * Sent as raw Candid (see upload-data-arg.ts: the 2 MB chunk is copied once, not four times); the
   * agent still signs, sends and verifies the certified reply as for any update call.
   */
  uploadCanisterSnapshotData(params: UploadSnapshotDataParams): Promise<void> {
    return this.call('upload_canister_snapshot_data', params.canisterId, idText(params.snapshotId), async () => {
      await this.agent.update(Principal.managementCanister(), {
        methodName: 'upload_canister_snapshot_data',
        arg: encodeUploadDataArg(params),
        effectiveCanisterId: params.canisterId
      })
    })
  }

  private async call<T>(method: string, canisterId: Principal, snapshotId: SnapshotId | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error: unknown) {
      throw mapAgentError(error, {
        ...this.context,
        method,
        canisterId: canisterId.toText(),
        ...(snapshotId === undefined ? {} : { snapshotId })
      })
    }
  }
}

/** Orders snapshots oldest first: by time, then by the ID's counter for equal timestamps. */
export function compareSnapshots(a: SnapshotInfo, b: SnapshotInfo): number {
  if (a.takenAtNs !== b.takenAtNs) return a.takenAtNs < b.takenAtNs ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

function toSnapshotInfo(s: SnapshotReply): SnapshotInfo {
  return { id: snapshotIdToHex(s.id), takenAtNs: s.taken_at_timestamp, totalSize: s.total_size }
}

function idText(id: string | Uint8Array | number[] | undefined): SnapshotId | undefined {
  if (id === undefined) return undefined
  return typeof id === 'string' ? id.toLowerCase() : snapshotIdToHex(id)
}

interface ManagementActor {
  canister_status(arg: { canister_id: Principal }): Promise<StatusReply>
  stop_canister(arg: { canister_id: Principal }): Promise<void>
  start_canister(arg: { canister_id: Principal }): Promise<void>
  take_canister_snapshot(arg: { canister_id: Principal; replace_snapshot: [] | [Uint8Array] }): Promise<SnapshotReply>
  load_canister_snapshot(arg: { canister_id: Principal; snapshot_id: Uint8Array }): Promise<void>
  list_canister_snapshots(arg: { canister_id: Principal }): Promise<SnapshotReply[]>
  delete_canister_snapshot(arg: { canister_id: Principal; snapshot_id: Uint8Array }): Promise<void>
  read_canister_snapshot_metadata(arg: { canister_id: Principal; snapshot_id: Uint8Array }): Promise<MetadataReply>
  read_canister_snapshot_data(arg: { canister_id: Principal; snapshot_id: Uint8Array; kind: Record<string, unknown> }): Promise<{ chunk: Uint8Array | number[] }>
  upload_canister_snapshot_metadata(arg: Record<string, unknown>): Promise<{ snapshot_id: Uint8Array | number[] }>
}

/**
 * `IcManagementCanister`'s camelCase methods over the project's Candid: one actor whose
 * `canister_status` is a query, one where it is an update (certified by the subnet).
 */
function managementService(agent: Agent): IcManagementService {
  const options = { agent, canisterId: Principal.managementCanister(), callTransform: effectiveCanisterId, queryTransform: effectiveCanisterId }
  const uncertified = Actor.createActor(managementIdl(false), options) as ActorSubclass<ManagementActor>
  const ic = Actor.createActor(managementIdl(true), options) as ActorSubclass<ManagementActor>
  const ids = ({ canisterId, snapshotId }: SnapshotParams) => ({ canister_id: canisterId, snapshot_id: snapshotIdBytes(snapshotId) })
  const replace = (id: SnapshotIdParam | undefined): [] | [Uint8Array] => (id === undefined ? [] : [snapshotIdBytes(id)])
  return {
    canisterStatus: ({ canisterId, certified = true }) => (certified ? ic : uncertified).canister_status({ canister_id: canisterId }),
    stopCanister: (canisterId) => ic.stop_canister({ canister_id: canisterId }),
    startCanister: (canisterId) => ic.start_canister({ canister_id: canisterId }),
    takeCanisterSnapshot: ({ canisterId, snapshotId }) => ic.take_canister_snapshot({ canister_id: canisterId, replace_snapshot: replace(snapshotId) }),
    loadCanisterSnapshot: (params) => ic.load_canister_snapshot(ids(params)),
    listCanisterSnapshots: ({ canisterId }) => ic.list_canister_snapshots({ canister_id: canisterId }),
    deleteCanisterSnapshot: (params) => ic.delete_canister_snapshot(ids(params)),
    readCanisterSnapshotMetadata: async (params) => toSnapshotMetadata(await ic.read_canister_snapshot_metadata(ids(params))),
    readCanisterSnapshotData: ({ kind, ...params }) => ic.read_canister_snapshot_data({ ...ids(params), kind: candidReadKind(kind) }),
    uploadCanisterSnapshotMetadata: ({ canisterId, snapshotId, metadata }) =>
      ic.upload_canister_snapshot_metadata({ canister_id: canisterId, replace_snapshot: replace(snapshotId), ...candidUploadMetadata(metadata) })
  }
}

function bytes(value: Uint8Array | number[]): Uint8Array {
  return value instanceof Uint8Array ? value : Uint8Array.from(value)
}

function candidReadKind(kind: CanisterSnapshotMetadataKind): Record<string, unknown> {
  if ('wasmModule' in kind) return { wasm_module: kind.wasmModule }
  if ('wasmMemory' in kind) return { wasm_memory: kind.wasmMemory }
  if ('stableMemory' in kind) return { stable_memory: kind.stableMemory }
  return { wasm_chunk: kind.wasmChunk }
}

function candidUploadMetadata(m: UploadCanisterSnapshotMetadataParam): Record<string, unknown> {
  const hook = m.onLowWasmMemoryHookStatus
  return {
    globals: m.globals,
    certified_data: m.certifiedData,
    global_timer: m.globalTimer === undefined ? [] : [m.globalTimer],
    on_low_wasm_memory_hook_status: hook === undefined ? [] : ['conditionNotSatisfied' in hook ? { condition_not_satisfied: null } : hook],
    wasm_module_size: m.wasmModuleSize,
    stable_memory_size: m.stableMemorySize,
    wasm_memory_size: m.wasmMemorySize
  }
}

/** The camelCase shape `IcManagementCanister` returns (the backup format and upload build on it). */
function toSnapshotMetadata(r: MetadataReply): SnapshotMetadata {
  const hook = r.on_low_wasm_memory_hook_status[0]
  return {
    globals: r.globals,
    canisterVersion: r.canister_version,
    source: 'metadata_upload' in r.source ? { metadataUpload: r.source.metadata_upload } : { takenFromCanister: r.source.taken_from_canister },
    certifiedData: bytes(r.certified_data),
    globalTimer: r.global_timer[0],
    onLowWasmMemoryHookStatus: hook === undefined ? undefined : 'condition_not_satisfied' in hook ? { conditionNotSatisfied: null } : hook,
    wasmModuleSize: r.wasm_module_size,
    stableMemorySize: r.stable_memory_size,
    wasmChunkStore: r.wasm_chunk_store.map(({ hash }) => ({ hash: bytes(hash) })),
    takenAtTimestamp: r.taken_at_timestamp,
    wasmMemorySize: r.wasm_memory_size
  }
}
