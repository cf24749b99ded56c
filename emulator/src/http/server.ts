/**
 * The IC HTTP interface over node:http: routing, the request pipelines for call / query /
 * read_state / status, the network model (latency, in-flight cap) and HTTP fault injection.
 */
import { setMaxListeners } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import pLimit, { type LimitFunction } from 'p-limit'
import { Principal } from '@icp-sdk/core/principal'
import type { Clock, ExecResult, MessageContext, Reject, Replica } from '../contracts.js'
import { encodeCbor } from '../crypto/cbor.js'
import { concatBytes, domainSeparator, hashOfMap, toHex } from '../crypto/hash.js'
import type { EndpointKind, FailureMode, HttpFaults } from '../faults.js'
import { Certifier } from './certifier.js'
import { parseEnvelope, type ParsedRequest } from './envelope.js'
import { HttpError } from './errors.js'
import type { IngressBlocks } from './pacing.js'
import { RequestStore, type CallEntry } from './request-store.js'
import { boundaryCanisterNotFound, boundarySubnetNotFound } from './routing.js'
import type { RangesForm, Subnet, Topology } from './topology.js'

const DS_RESPONSE = domainSeparator('ic-response')
const MANAGEMENT = Principal.managementCanister()
const READ_STATE_ROOTS = new Set(['time', 'subnet', 'request_status', 'canister', 'canister_ranges', 'api_boundary_nodes'])
const utf8 = new TextDecoder()
/**
 * With a modelled latency, a call executes this long (at most; a third of the latency when that is
 * less) before its latency ends, and shared certificates are signed at most this often: a call's
 * certificate is then signed by the time its latency is over, and calls in flight together share
 * it, as the calls of one IC round share one certified state. Without this, a call took its
 * latency *plus* the wait for the next signature, and a client checked one certificate per call.
 */
const MAX_CERTIFICATION_WINDOW_MS = 100

export interface HttpServerOptions {
  replica: Replica
  clock: Clock
  topology: Topology
  faults: HttpFaults
  /** Time an update call takes, certification included (a consensus round); queries and read_state answer at once. */
  latencyMs: number
  /**
   * At most this many update calls wait or execute at once on each subnet; later ones queue.
   * Unlimited when undefined.
   */
  maxInFlightUpdates?: number
  /** How long a v3/v4 call waits for a terminal state before answering 202 (the replica waits ~10 s). */
  syncCallTimeoutMs: number
  maxBodyBytes: number
  /** Replies kept for polling and resends are bounded by this; older calls then turn `done`. */
  maxRetainedReplyBytes?: number
  implVersion: string
  /** Time every request other than a call takes (see pacing.ts); 0 by default. */
  roundTripMs?: number
  /** Ingress packed into blocks (see pacing.ts): a call that finds no room waits for a later block. */
  ingressBlocks?: IngressBlocks
  /** Told of every update call once it has executed: once per request ID, so a resend is not counted twice. */
  onCall?: (call: ExecutedCall) => void
}

/** An update call the replica executed, as `onCall` reports it. */
export interface ExecutedCall {
  sender: Principal
  /** The callee; `aaaaa-aa` for the management canister. */
  canisterId: Principal
  /** The canister the call was routed by (for a management call, the canister it acts on). */
  effectiveCanisterId: Principal
  methodName: string
  arg: Uint8Array
  /** The reject code when the call was rejected. */
  rejectCode?: number
}

type Route =
  | { kind: 'status' }
  | { kind: 'call'; version: 2 | 3 | 4; ecid: Principal }
  | { kind: 'query' | 'read_state'; version: 2 | 3; ecid: Principal }
  | { kind: 'subnet_read_state'; subnetId: Principal }

export class IcHttpServer {
  readonly requests: RequestStore
  /** One per subnet, by `Subnet.index`; requests are kept in one store (see the README). */
  private readonly certifiers: Certifier[]
  private readonly nnsCertifier: Certifier
  private readonly server: Server
  /** One cap per subnet: each subnet of the IC executes its own calls, so traffic to one does not queue behind another's. */
  private readonly limits: ReadonlyMap<Subnet, LimitFunction>
  private readonly hanging = new Set<Socket>()
  private readonly aborter = new AbortController()
  private readonly executions = new Set<Promise<void>>()
  private readonly certificationWindowMs: number
  /** When each call's modelled latency ends (performance.now() ms); a sync reply waits for it. */
  private readonly latencyEnds = new WeakMap<CallEntry, number>()

  constructor(private readonly options: HttpServerOptions) {
    this.requests = new RequestStore(() => options.clock.nowNs(), options.maxRetainedReplyBytes)
    this.certificationWindowMs = Math.min(MAX_CERTIFICATION_WINDOW_MS, options.latencyMs / 3)
    const certifier = (subnet: Subnet): Certifier =>
      new Certifier(options.topology, subnet, options.clock, this.requests, options.replica, this.certificationWindowMs)
    this.certifiers = options.topology.subnets.map(certifier)
    this.nnsCertifier = options.topology.delegation ? certifier(options.topology.nns) : (this.certifiers[0] as Certifier)
    const cap = options.maxInFlightUpdates
    // The root subnet too: it takes provisional creates at `aaaaa-aa`.
    const executing = new Set([...options.topology.subnets, options.topology.nns])
    this.limits = new Map(cap === undefined ? [] : [...executing].map((subnet) => [subnet, pLimit(cap)]))
    // Every call waiting for its reply listens for the emulator closing: dozens at once are normal.
    setMaxListeners(0, this.aborter.signal)
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error))
    })
    this.server.keepAliveTimeout = 60_000
  }

  listen(port: number, host: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        const address = this.server.address() as AddressInfo
        resolve(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`)
      })
    })
  }

  /** Stops listening, drops every connection and waits for executions already started. */
  async close(): Promise<void> {
    this.aborter.abort()
    for (const socket of this.hanging) socket.destroy()
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
    await Promise.allSettled([...this.executions])
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = parseRoute(req.method ?? 'GET', req.url ?? '/')
    if (route.kind === 'status') {
      if (this.injectFault(req, res, 'status', undefined)) return
      return this.replyCbor(res, 200, {
        ic_api_version: '0.18.0',
        impl_version: this.options.implVersion,
        replica_health_status: 'healthy',
        root_key: this.options.topology.rootKey.der,
        certified_height: this.certifiers.reduce((n, c) => Math.max(n, c.height), 0)
      })
    }
    const body = await readBody(req, this.options.maxBodyBytes)
    if (route.kind !== 'call' && (this.options.roundTripMs ?? 0) > 0 && !(await sleep(this.options.roundTripMs ?? 0, this.aborter.signal))) return
    const now = this.options.clock.nowNs()
    switch (route.kind) {
      case 'call': {
        const request = parseEnvelope(body, 'call', now)
        const subnet = this.route(route.ecid, request)
        if (this.injectFault(req, res, 'call', request.methodName)) return
        return this.handleCall(route.version, route.ecid, subnet, request, req, res, body.byteLength)
      }
      case 'query': {
        const subnet = this.route(route.ecid)
        const request = parseEnvelope(body, 'query', now)
        if (this.injectFault(req, res, 'query', request.methodName)) return
        return this.handleQuery(route.ecid, subnet, request, res)
      }
      case 'read_state': {
        const subnet = this.route(route.ecid)
        const request = parseEnvelope(body, 'read_state', now)
        if (this.injectFault(req, res, 'read_state', undefined)) return
        return this.handleReadState({ ecid: route.ecid }, subnet, route.version === 3 ? 'sharded' : 'legacy', request, res)
      }
      case 'subnet_read_state': {
        const subnet = this.options.topology.subnetById(route.subnetId)
        if (subnet === undefined) throw boundarySubnetNotFound()
        const request = parseEnvelope(body, 'read_state', now)
        if (this.injectFault(req, res, 'read_state', undefined)) return
        return this.handleReadState({ subnet: true }, subnet, 'sharded', request, res)
      }
    }
  }

  /**
   * The boundary node's routing: the subnet whose range holds the effective canister id. `aaaaa-aa`
   * is in no range: without delegation (a local replica) it reaches the one subnet; with delegation
   * only a `call` of `provisional_create_canister_with_cycles` is taken, by the root subnet (see
   * isProvisionalCreate). Anything else unroutable gets the boundary node's `canister_not_found`.
   */
  private route(ecid: Principal, call?: ParsedRequest): Subnet {
    const { topology } = this.options
    if (ecid.toUint8Array().length === 0) {
      if (!topology.delegation || (call !== undefined && isProvisionalCreate(call))) return topology.nns
      throw boundaryCanisterNotFound()
    }
    const subnet = topology.subnetOf(ecid)
    if (subnet === undefined) throw boundaryCanisterNotFound()
    return subnet
  }

  private async handleCall(
    version: 2 | 3 | 4,
    ecid: Principal,
    subnet: Subnet,
    request: ParsedRequest,
    req: IncomingMessage,
    res: ServerResponse,
    bytes: number
  ): Promise<void> {
    const msg: MessageContext = { ...messageOf(request), effectiveCanisterId: ecid }
    checkEffectiveCanisterId(ecid, msg.canisterId)
    let entry = this.requests.get(request.requestId)
    if (entry === undefined) {
      const reject = this.options.replica.inspectIngress(msg)
      if (reject !== null) {
        const body = { reject_code: reject.code, reject_message: reject.message, error_code: reject.errorCode }
        return this.replyCbor(res, 200, version === 2 ? body : { status: 'non_replicated_rejection', ...body })
      }
      entry = this.requests.add(request.requestId, request.sender.toUint8Array(), request.ingressExpiry)
      this.execute(entry, msg, bytes, subnet)
    }
    if (this.options.faults.takeDrop(msg.methodName)) {
      await this.waitSettled(entry)
      req.socket.destroy()
      return
    }
    if (version === 2 || !(await this.waitSettled(entry))) return this.replyEmpty(res, 202)
    const form: RangesForm = version === 4 ? 'sharded' : 'legacy'
    const certificate = await this.certifierOf(subnet).certificateParts([[utf8Bytes('request_status'), entry.requestId]], form)
    if (!(await this.latencyOver(entry))) return
    return this.replyWithCertificate(res, certificate)
  }

  /**
   * Runs the call once within its subnet's in-flight cap, which it holds for the whole modelled latency: it
   * executes one certification window before the latency ends, so that its reply is certified,
   * and sent, when the latency ends.
   */
  private execute(entry: CallEntry, msg: MessageContext, bytes: number, subnet: Subnet): void {
    const run = async (): Promise<void> => {
      const latencyMs = this.options.latencyMs + (this.options.ingressBlocks?.admit(bytes) ?? 0)
      if (latencyMs > 0) {
        this.latencyEnds.set(entry, performance.now() + latencyMs)
        const waited = await sleep(latencyMs - this.certificationWindowMs, this.aborter.signal)
        // The emulator is closing: the call never runs, and nobody is left to ask about it.
        if (!waited) return
      }
      this.requests.setProcessing(entry)
      let result: ExecResult
      try {
        result = await this.options.replica.executeUpdate(msg)
      } catch (error: unknown) {
        result = { reject: internalReject(msg, error) }
      }
      this.requests.complete(entry, result)
      this.options.onCall?.({
        sender: msg.sender,
        canisterId: msg.canisterId,
        effectiveCanisterId: msg.effectiveCanisterId ?? msg.canisterId,
        methodName: msg.methodName,
        arg: msg.arg,
        ...('reject' in result ? { rejectCode: result.reject.code } : {})
      })
      await this.latencyOver(entry)
    }
    const limit = this.limits.get(subnet)
    const execution = limit === undefined ? run() : limit(run)
    this.executions.add(execution)
    void execution.finally(() => this.executions.delete(execution))
  }

  /** Waits for the end of the call's modelled latency; false when the emulator closes first. */
  private async latencyOver(entry: CallEntry): Promise<boolean> {
    const remaining = (this.latencyEnds.get(entry) ?? 0) - performance.now()
    return remaining > 0 ? sleep(remaining, this.aborter.signal) : !this.aborter.signal.aborted
  }

  private async waitSettled(entry: CallEntry): Promise<boolean> {
    if (entry.terminal) return true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.syncCallTimeoutMs)
    })
    let onAbort: (() => void) | undefined
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false)
      this.aborter.signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([entry.settled.then(() => true), timeout, aborted])
    } finally {
      clearTimeout(timer)
      if (onAbort !== undefined) this.aborter.signal.removeEventListener('abort', onAbort)
    }
  }

  private handleQuery(ecid: Principal, subnet: Subnet, request: ParsedRequest, res: ServerResponse): void {
    const msg: MessageContext = { ...messageOf(request), effectiveCanisterId: ecid }
    checkEffectiveCanisterId(ecid, msg.canisterId)
    let result: ExecResult
    try {
      result = this.options.replica.executeQuery(msg)
    } catch (error: unknown) {
      result = { reject: internalReject(msg, error) }
    }
    const timestamp = this.options.clock.nowNs()
    const body: Record<string, unknown> =
      'reply' in result
        ? { status: 'replied', reply: { arg: result.reply } }
        : { status: 'rejected', reject_code: result.reject.code, reject_message: result.reject.message, error_code: result.reject.errorCode }
    const signed = hashOfMap({ ...body, timestamp, request_id: request.requestId })
    const { nodeKey } = subnet
    body.signatures = [{ timestamp, signature: nodeKey.sign(concatBytes(DS_RESPONSE, signed)), identity: nodeKey.nodeId.toUint8Array() }]
    this.replyCbor(res, 200, body)
  }

  private certifierOf(subnet: Subnet): Certifier {
    return subnet === this.options.topology.nns ? this.nnsCertifier : (this.certifiers[subnet.index] as Certifier)
  }

  private async handleReadState(
    scope: { ecid: Principal } | { subnet: true },
    subnet: Subnet,
    form: RangesForm,
    request: ParsedRequest,
    res: ServerResponse
  ): Promise<void> {
    const paths = request.paths ?? []
    for (const path of paths) {
      const [head, second] = path
      if (head === undefined) continue
      const root = utf8.decode(head)
      const allowed = 'subnet' in scope ? root === 'time' || root === 'subnet' || root === 'canister_ranges' : READ_STATE_ROOTS.has(root)
      if (!allowed) throw new HttpError(404, `Invalid path requested: /${path.map(labelText).join('/')} is not readable through this endpoint`)
      if (root === 'canister' && second !== undefined && 'ecid' in scope && toHex(second) !== toHex(scope.ecid.toUint8Array())) {
        throw new HttpError(400, `Effective principal id in URL ${scope.ecid.toText()} does not match requested principal id: ${labelText(second)}.`)
      }
      if (root === 'request_status' && second !== undefined) {
        const entry = this.requests.get(second)
        if (entry !== undefined && toHex(entry.sender) !== toHex(request.sender.toUint8Array())) {
          throw new HttpError(403, `Request IDs must be for requests signed with the caller's key: request ${toHex(second)} was not sent by ${request.sender.toText()}`)
        }
      }
    }
    const certificate = await this.certifierOf(subnet).certificate(paths, form)
    this.replyCbor(res, 200, { certificate })
  }

  /** Applies an armed fault; true when the request was consumed by it. */
  private injectFault(req: IncomingMessage, res: ServerResponse, endpoint: EndpointKind, method: string | undefined): boolean {
    const mode: FailureMode | undefined = this.options.faults.takeFailure(endpoint, method)
    if (mode === undefined) return false
    if (mode === 'reset') {
      req.socket.destroy()
    } else if (mode === 'hang') {
      const socket = req.socket
      this.hanging.add(socket)
      socket.once('close', () => this.hanging.delete(socket))
    } else {
      this.replyText(res, mode, mode === 503 ? 'Service Unavailable: injected fault' : 'Too Many Requests: injected fault')
    }
    return true
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent || res.destroyed) return
    if (error instanceof HttpError) {
      if (error.status === 413) res.setHeader('connection', 'close')
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value)
      return this.replyText(res, error.status, error.message)
    }
    this.replyText(res, 500, `Internal error in the emulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  }

  private replyCbor(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return
    const bytes = encodeCbor(body)
    res.writeHead(status, { 'content-type': 'application/cbor', 'content-length': bytes.byteLength })
    res.end(bytes)
  }

  /**
   * `{status: "replied", certificate}` written as a CBOR head followed by the certificate's parts,
   * so a certificate carrying a 2 MB reply is never copied into one message: the reply goes out
   * as it was stored.
   */
  private replyWithCertificate(res: ServerResponse, certificate: Uint8Array[]): void {
    if (res.destroyed) return
    const length = certificate.reduce((n, part) => n + part.byteLength, 0)
    const head = concatBytes(REPLIED_HEAD, cborByteStringHead(length))
    res.writeHead(200, { 'content-type': 'application/cbor', 'content-length': head.byteLength + length })
    res.cork()
    res.write(head)
    for (const part of certificate) res.write(part)
    res.end()
    res.uncork()
  }

  private replyText(res: ServerResponse, status: number, text: string): void {
    if (res.destroyed) return
    const bytes = Buffer.from(text, 'utf8')
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': bytes.byteLength })
    res.end(bytes)
  }

  private replyEmpty(res: ServerResponse, status: number): void {
    if (res.destroyed) return
    res.writeHead(status, { 'content-length': 0 })
    res.end()
  }
}

/** Tag 55799, then a 2-entry map whose second key is `certificate` (its value follows). */
const REPLIED_HEAD = (() => {
  const full = encodeCbor({ status: 'replied', certificate: new Uint8Array() })
  return full.subarray(0, full.length - 1) // drop the empty byte string's head (0x40)
})()

function cborByteStringHead(length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(0x40 | length)
  if (length < 0x100) return Uint8Array.of(0x58, length)
  if (length < 0x10000) return Uint8Array.of(0x59, length >> 8, length & 0xff)
  if (length < 0x100000000) return Uint8Array.of(0x5a, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff)
  throw new RangeError(`A certificate of ${length} bytes is too large to send`)
}

function parseRoute(method: string, url: string): Route {
  const path = url.split('?')[0] ?? '/'
  if (path === '/api/v2/status') {
    if (method !== 'GET') throw new HttpError(405, `Method ${method} is not allowed on ${path}; use GET`)
    return { kind: 'status' }
  }
  const canister = /^\/api\/v([234])\/canister\/([^/]+)\/(call|query|read_state)$/.exec(path)
  const subnet = /^\/api\/v3\/subnet\/([^/]+)\/read_state$/.exec(path)
  if (canister === null && subnet === null) throw new HttpError(404, `Not found: ${method} ${path} is not an endpoint of this IC network`)
  if (method !== 'POST') throw new HttpError(405, `Method ${method} is not allowed on ${path}; use POST`)
  if (subnet !== null) return { kind: 'subnet_read_state', subnetId: principalInUrl(subnet[1] as string, 'subnet') }
  const version = Number(canister?.[1]) as 2 | 3 | 4
  const kind = canister?.[3] as 'call' | 'query' | 'read_state'
  const ecid = principalInUrl(canister?.[2] as string, 'canister')
  if (kind === 'call') return { kind, version, ecid }
  if (version === 4) throw new HttpError(404, `Not found: ${method} ${path} (${kind} is served on /api/v2 and /api/v3 only)`)
  return { kind, version, ecid }
}

function principalInUrl(text: string, what: string): Principal {
  try {
    return Principal.fromText(decodeURIComponent(text))
  } catch {
    throw new HttpError(400, `Invalid ${what} id '${text}' in the URL: expected a textual principal such as rwlgt-iiaaa-aaaaa-aaaaa-cai`)
  }
}

function messageOf(request: ParsedRequest): MessageContext {
  return {
    sender: request.sender,
    canisterId: request.canisterId as Principal,
    methodName: request.methodName as string,
    arg: request.arg as Uint8Array
  }
}

/** Management calls may use any effective canister id; every other call must name its own canister. */
function checkEffectiveCanisterId(ecid: Principal, canisterId: Principal): void {
  if (canisterId.compareTo(MANAGEMENT) === 'eq') return
  if (canisterId.compareTo(ecid) !== 'eq') {
    throw new HttpError(400, `Specified CanisterId ${canisterId.toText()} does not match effective canister id in URL ${ecid.toText()}`)
  }
}

/**
 * `provisional_create_canister_with_cycles` is how tests make canisters; clients send it with the
 * effective canister id `aaaaa-aa` (it has no target), which a local replica accepts. Mainnet offers
 * no such method to users, so answering it hides nothing mainnet would refuse: the call executes
 * (the canister's id comes from the first subnet's range) and its certificate comes from the root
 * subnet, which signs without delegation, so clients check no range for `aaaaa-aa`.
 */
function isProvisionalCreate(request: ParsedRequest): boolean {
  return request.canisterId?.toUint8Array().length === 0 && request.methodName === 'provisional_create_canister_with_cycles'
}

function internalReject(msg: MessageContext, error: unknown): Reject {
  const why = error instanceof Error ? error.message : String(error)
  return { code: 5, errorCode: 'IC0503', message: `Error from Canister ${msg.canisterId.toText()}: Canister trapped: ${why}` }
}

function labelText(label: Uint8Array): string {
  const text = utf8.decode(label)
  return /^[\x20-\x7e]+$/.test(text) ? text : toHex(label)
}

function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (tooLarge) return
      if (size > limit) {
        // Keep draining (and discarding) so the 413 reaches the client instead of a reset.
        tooLarge = true
        chunks.length = 0
        reject(new HttpError(413, `Request body too large: more than ${limit} bytes; the IC accepts messages up to 2 MiB`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (tooLarge) return
      const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
      // A view in this realm (jest's vm realms do not see node's Buffer as a Uint8Array).
      resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength))
    })
    req.on('error', reject)
  })
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
