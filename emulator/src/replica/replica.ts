/**
 * The emulator's replica: canisters, their code through a `WasmEngine`, and the management
 * canister. The HTTP layer calls it with plain bytes and principals (see ../contracts.ts).
 */
import { IDL } from '@icp-sdk/core/candid'
import { Principal } from '@icp-sdk/core/principal'
import type {
  CanisterPublicInfo,
  Clock,
  ExecResult,
  ExecutionEnv,
  MessageContext,
  Reject,
  Replica,
  WasmEngine
} from '../contracts.js'
import type { CanisterRecord, CanisterView } from './canister-state.js'
import { defaultSettings, isController } from './canister-state.js'
import { canPay } from './charging.js'
import type { ReplicaContext } from './context.js'
import { DEFAULT_PROVISIONAL_CYCLES, UPDATE_BASE_FEE } from './cycles.js'
import { Errors, RejectError, fail } from './errors.js'
import { canisterIdFromIndex, toHex } from './ids.js'
import { engineFailure, finishStopIfReady, settlePendingStops } from './lifecycle-methods.js'
import { executeManagementQuery, executeManagementUpdate, inspectManagementIngress } from './management-canister.js'
import { installedCode } from './installed-code.js'
import type { ReplyShape } from './reply-shapes.js'

/** `STOP_CANISTER_TIMEOUT_DURATION` of the replica. */
const DEFAULT_STOP_TIMEOUT_MS = 5 * 60 * 1000
const STATUS_CODE = { running: 1, stopping: 2, stopped: 3 } as const

export interface IcReplicaOptions {
  clock: Clock
  engine: WasmEngine
  /** How long `stop_canister` waits in `stopping` before failing with IC0206; 5 minutes as on the IC. */
  stopTimeoutMs?: number
  /** Receives `ic0.debug_print` output. */
  onDebugPrint?: (canisterId: Principal, text: string) => void
  /**
   * The network's subnets (the HTTP layer's `Topology`): canister ids are allocated from each
   * subnet's range, and a subnet knows only its own canisters. Default one subnet from index 0
   * holding every canister.
   */
  topology?: SubnetLayout
  /** Records of an older or newer replica in `canister_status` and snapshot replies; `current` by default. */
  replyShape?: ReplyShape
}

/** What the replica needs of the subnets; `Topology` (src/http/topology.ts) is one. */
export interface SubnetLayout {
  /** By subnet index: the first canister index (the id's 8-byte big-endian part) of its range. */
  readonly subnets: readonly { readonly firstIndex: bigint }[]
  /** The subnet whose range holds `id`; undefined for `aaaaa-aa` and ids outside every range. */
  subnetOf(id: Principal): { readonly index: number } | undefined
}

export interface CreateCanisterOptions {
  controllers: Principal[]
  cycles?: bigint
  /** Installed (mode `install`) right away when given. */
  wasmModule?: Uint8Array
  /** Candid argument for `canister_init`; empty Candid (`DIDL\0\0`) by default. */
  installArg?: Uint8Array
  /** The subnet (0-based) whose range the id comes from; default 0. */
  subnet?: number
}

export interface ReplicaFaults {
  /** Keeps the canister in `stopping` (on) until a stop times out with IC0206, or releases it (off). */
  holdStopping(id: Principal, on?: boolean): void
  /** Sets the canister's balance to `leave` cycles (default 0). */
  drainCycles(id: Principal, leave?: bigint): void
  /** The next `count` (default 1) take / load / upload-metadata calls on the canister fail with IC0210. */
  rateLimitHeapDelta(id: Principal, count?: number): void
}

export class IcReplica implements Replica {
  readonly faults: ReplicaFaults
  private readonly canisters = new Map<string, CanisterRecord>()
  private readonly nextCanisterIndex: bigint[]
  private readonly ctx: ReplicaContext

  constructor(private readonly opts: IcReplicaOptions) {
    this.nextCanisterIndex = opts.topology === undefined ? [0n] : opts.topology.subnets.map((s) => s.firstIndex)
    this.ctx = this.makeContext()
    this.faults = {
      holdStopping: (id, on = true) => {
        const canister = this.controlTarget(id, 'holdStopping')
        canister.holdStopping = on
        finishStopIfReady(canister)
      },
      drainCycles: (id, leave = 0n) => {
        this.controlTarget(id, 'drainCycles').cycles = leave
      },
      rateLimitHeapDelta: (id, count = 1) => {
        if (!Number.isInteger(count) || count < 0) throw new RangeError(`faults.rateLimitHeapDelta: count must be a whole number, got ${count}`)
        this.controlTarget(id, 'rateLimitHeapDelta').heapDeltaRateLimited = count
      }
    }
  }

  /** Test control (not an IC method): creates a canister, optionally with code installed. */
  async createCanister(opts: CreateCanisterOptions): Promise<Principal> {
    const canister = this.ctx.createCanister({
      controllers: opts.controllers,
      cycles: opts.cycles ?? DEFAULT_PROVISIONAL_CYCLES,
      subnet: opts.subnet
    })
    if (opts.wasmModule) {
      const caller = opts.controllers[0] ?? Principal.managementCanister()
      const arg = opts.installArg ?? IDL.encode([], [])
      try {
        const code = await this.opts.engine.install(opts.wasmModule, arg, this.ctx.executionEnv(canister, caller))
        canister.code = installedCode(code, opts.wasmModule)
        canister.version++
      } catch (error: unknown) {
        this.canisters.delete(canister.id.toText())
        const reject = engineFailure(canister, error)
        throw new Error(`createCanister: installing the given wasmModule failed: ${reject.errorCode}: ${reject.message}`)
      }
    }
    return canister.id
  }

  /**
   * Whether two canisters live on the same subnet: a subnet's state holds only its own canisters'
   * snapshots. Without a topology (a bare replica in unit tests) every canister shares one subnet.
   */
  sameSubnet(a: Principal, b: Principal): boolean {
    const { topology } = this.opts
    return topology === undefined || topology.subnetOf(a)?.index === topology.subnetOf(b)?.index
  }

  /** A copy of the canister's state for tests; undefined if it does not exist. */
  canister(id: Principal): CanisterView | undefined {
    const c = this.canisters.get(id.toText())
    if (!c) return undefined
    return {
      id: c.id,
      status: c.status,
      controllers: [...c.settings.controllers],
      cycles: c.cycles,
      moduleHash: c.code?.moduleHash.slice(),
      version: c.version,
      snapshots: [...c.snapshots.values()].map((s) => ({
        id: toHex(s.id.bytes),
        takenAt: s.takenAt,
        totalSize: s.totalSize
      })),
      wasmMemorySize: c.code?.canister.wasmMemorySize ?? 0,
      stableMemorySize: c.code?.canister.stableMemorySize ?? 0
    }
  }

  inspectIngress(msg: MessageContext): Reject | null {
    if (isManagement(msg.canisterId)) return inspectManagementIngress(this.routedContext(msg), msg)
    const checked = this.checkCanisterUpdate(msg)
    return 'reject' in checked ? checked.reject : null
  }

  async executeUpdate(msg: MessageContext): Promise<ExecResult> {
    if (isManagement(msg.canisterId)) return executeManagementUpdate(this.ctx, msg)
    const checked = this.checkCanisterUpdate(msg)
    if ('reject' in checked) return checked
    const canister = checked.canister
    canister.cycles -= UPDATE_BASE_FEE
    const result = checked.code.update(msg.methodName, msg.arg, this.ctx.executionEnv(canister, msg.sender))
    if ('reply' in result) canister.version++
    return result
  }

  executeQuery(msg: MessageContext): ExecResult {
    if (isManagement(msg.canisterId)) return executeManagementQuery(this.routedContext(msg), msg)
    const canister = this.canisters.get(msg.canisterId.toText())
    if (!canister) return { reject: Errors.canisterNotFound(msg.canisterId) }
    if (canister.status === 'stopped') return { reject: Errors.canisterStoppedQuery(canister.id) }
    const code = canister.code
    if (!code) return { reject: Errors.wasmModuleNotFound(canister.id) }
    if (!code.canister.queryMethods.has(msg.methodName)) {
      return { reject: Errors.methodNotFound(canister.id, 'query', msg.methodName) }
    }
    return code.canister.query(msg.methodName, msg.arg, this.ctx.executionEnv(canister, msg.sender))
  }

  hasCanister(id: Principal): boolean {
    return this.canisters.has(id.toText())
  }

  canisterInfo(id: Principal): CanisterPublicInfo | undefined {
    const c = this.canisters.get(id.toText())
    if (!c) return undefined
    return { controllers: [...c.settings.controllers], moduleHash: c.code?.moduleHash, metadata: c.code?.metadata ?? new Map() }
  }

  /** Fails every pending `stop_canister` with IC0206 and clears its timer, so nothing outlives the emulator. */
  close(): void {
    for (const canister of this.canisters.values()) {
      settlePendingStops(canister, (p) => p.reject(new RejectError(Errors.stopTimeout())))
    }
  }

  /** Checks shared by the ingress filter and execution of a call to a user canister. */
  private checkCanisterUpdate(
    msg: MessageContext
  ): { reject: Reject } | { canister: CanisterRecord; code: NonNullable<CanisterRecord['code']>['canister'] } {
    const canister = this.canisters.get(msg.canisterId.toText())
    if (!canister) return { reject: Errors.canisterNotFound(msg.canisterId) }
    if (canister.status === 'stopped') return { reject: Errors.canisterStoppedIngress(canister.id) }
    if (canister.status === 'stopping') return { reject: Errors.canisterStoppingIngress(canister.id) }
    const code = canister.code
    if (!code) return { reject: Errors.wasmModuleNotFound(canister.id) }
    if (!code.canister.updateMethods.has(msg.methodName)) {
      return { reject: Errors.methodNotFound(canister.id, 'update', msg.methodName) }
    }
    if (!canPay(canister, UPDATE_BASE_FEE)) return { reject: Errors.canisterOutOfCycles(canister.id) }
    return { canister, code: code.canister }
  }

  private controlTarget(id: Principal, control: string): CanisterRecord {
    const canister = this.canisters.get(id.toText())
    if (!canister) {
      throw new Error(`faults.${control}: canister ${id.toText()} does not exist; create it first with createCanister().`)
    }
    return canister
  }

  private makeContext(): ReplicaContext {
    const canisters = this.canisters
    return {
      clock: this.opts.clock,
      engine: this.opts.engine,
      stopTimeoutMs: this.opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
      replyShape: this.opts.replyShape ?? 'current',
      canister: (id) => canisters.get(id.toText()),
      sameSubnet: (a, b) => this.sameSubnet(a, b),
      requireCanister: (id) => canisters.get(id.toText()) ?? fail(Errors.canisterNotFound(id)),
      requireController: (canister, sender) => {
        if (!isController(canister.settings, sender)) {
          fail(Errors.invalidController(canister.id, canister.settings.controllers, sender))
        }
      },
      createCanister: ({ controllers, cycles, specifiedId, subnet }) => {
        const id = specifiedId ?? this.allocateCanisterId(subnet ?? 0)
        if (canisters.has(id.toText())) {
          fail(Errors.canisterIdAlreadyExists(id))
        }
        const canister: CanisterRecord = {
          id,
          status: 'running',
          settings: defaultSettings([...controllers]),
          cycles,
          version: 0n,
          snapshots: new Map(),
          nextSnapshotLocalId: 0n,
          pendingStops: [],
          holdStopping: false,
          heapDeltaRateLimited: 0
        }
        canisters.set(id.toText(), canister)
        return canister
      },
      deleteCanister: (canister) => {
        // Its snapshots go with it (interface-spec#259).
        settlePendingStops(canister, (p) => p.reject(new RejectError(Errors.canisterNotFound(canister.id))))
        canisters.delete(canister.id.toText())
      },
      executionEnv: (canister, caller): ExecutionEnv => ({
        canisterId: canister.id,
        caller,
        timeNs: this.opts.clock.nowNs(),
        cycleBalance: canister.cycles,
        status: STATUS_CODE[canister.status],
        canisterVersion: canister.version,
        debugPrint: (text) => this.opts.onDebugPrint?.(canister.id, text)
      })
    }
  }

  /**
   * The context as the subnet the message was routed to sees it: it knows only its own canisters
   * (IC0301 for the others). The plain context when no routing is known.
   */
  private routedContext(msg: MessageContext): ReplicaContext {
    const { effectiveCanisterId: ecid } = msg
    if (ecid === undefined || this.opts.topology === undefined) return this.ctx
    const here = (id: Principal): boolean => this.sameSubnet(id, ecid)
    return {
      ...this.ctx,
      canister: (id) => (here(id) ? this.ctx.canister(id) : undefined),
      requireCanister: (id) => (here(id) ? this.ctx.requireCanister(id) : fail(Errors.canisterNotFound(id)))
    }
  }

  /** Skips ids taken through `specified_id`; at most one per existing canister can be taken. */
  private allocateCanisterId(subnet: number): Principal {
    const next = this.nextCanisterIndex[subnet]
    if (next === undefined) throw new RangeError(`createCanister: subnet ${subnet} does not exist; this network has ${this.nextCanisterIndex.length}`)
    for (let attempt = 0; attempt <= this.canisters.size; attempt++) {
      const index = next + BigInt(attempt)
      const id = canisterIdFromIndex(index)
      if (!this.canisters.has(id.toText())) {
        this.nextCanisterIndex[subnet] = index + 1n
        return id
      }
    }
    throw new Error('no free canister id found; this is an emulator bug')
  }
}

function isManagement(id: Principal): boolean {
  return id.toUint8Array().length === 0
}
