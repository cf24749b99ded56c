/**
 * Request statuses by request id: what makes calls idempotent (a resent request finds its entry
 * and never executes again) and what `/request_status/<rid>/…` certifies.
 */
import type { Reject } from '../contracts.js'
import { encodeLeb128, toHex } from '../crypto/hash.js'
import { StateLeaf, StateLevel } from '../crypto/hash-tree.js'

/** `done`: the reply was dropped (here: to bound memory), as the IC does after expiry. */
export type CallStatus = 'received' | 'processing' | 'replied' | 'rejected' | 'done'

/** The spec: "Calls should stay in replied or rejected for 5 minutes". */
const RETENTION_NS = 5n * 60n * 1_000_000_000n
const EVICT_EVERY_NS = 1_000_000_000n

export class CallEntry {
  status: CallStatus = 'received'
  reply?: Uint8Array
  reject?: Reject
  completedAtNs?: bigint
  /** Resolves when the call reaches a terminal state. */
  readonly settled: Promise<void>
  private settle!: () => void
  private cachedNode?: StateLevel

  constructor(
    readonly requestId: Uint8Array,
    readonly sender: Uint8Array,
    readonly ingressExpiry: bigint
  ) {
    this.settled = new Promise((resolve) => {
      this.settle = resolve
    })
  }

  get terminal(): boolean {
    return this.status === 'replied' || this.status === 'rejected' || this.status === 'done'
  }

  /** Forgets the reply or reject; the call still never executes again. */
  markDone(): void {
    this.status = 'done'
    this.reply = undefined
    this.reject = undefined
    this.cachedNode = undefined
  }

  /** `/request_status/<rid>` subtree; cached once terminal because it never changes again. */
  node(): StateLevel {
    if (this.cachedNode !== undefined) return this.cachedNode
    const children: [string, StateLeaf][] = [['status', text(this.status)]]
    if (this.reply !== undefined) children.push(['reply', new StateLeaf(this.reply)])
    if (this.reject !== undefined) {
      children.push(['reject_code', new StateLeaf(encodeLeb128(this.reject.code))])
      children.push(['reject_message', text(this.reject.message)])
      children.push(['error_code', text(this.reject.errorCode)])
    }
    const node = StateLevel.of(children)
    if (this.terminal) this.cachedNode = node
    return node
  }

  markSettled(): void {
    this.settle()
  }
}

function payloadSize(entry: CallEntry): number {
  return (entry.reply?.byteLength ?? 0) + (entry.reject?.message.length ?? 0)
}

const text = (value: string): StateLeaf => new StateLeaf(new TextEncoder().encode(value))

export class RequestStore {
  /** Bucketed by the id's first byte so a change rebuilds one bucket, not the whole level. */
  private readonly buckets = new Map<number, Map<string, CallEntry>>()
  private readonly bucketLevels = new Map<number, StateLevel>()
  private readonly dirty = new Set<number>()
  private cachedLevel: StateLevel | undefined
  private lastEvictionNs = 0n
  /** Terminal entries still holding a reply or reject, oldest first. */
  private readonly withPayload: CallEntry[] = []
  private retainedBytes = 0
  /** Bumps on every change; certificates signed for an older version are stale. */
  version = 0

  /**
   * @param maxRetainedReplyBytes replies kept for polling and resends are bounded by this; beyond
   *   it the oldest calls turn `done` (their replies dropped), so streaming gigabytes of snapshot
   *   data does not hold gigabytes for five minutes.
   */
  constructor(
    private readonly nowNs: () => bigint,
    private readonly maxRetainedReplyBytes = 512 * 1024 * 1024
  ) {}

  get(requestId: Uint8Array): CallEntry | undefined {
    return this.buckets.get(requestId[0] as number)?.get(toHex(requestId))
  }

  add(requestId: Uint8Array, sender: Uint8Array, ingressExpiry: bigint): CallEntry {
    const entry = new CallEntry(requestId, sender, ingressExpiry)
    const b = requestId[0] as number
    let bucket = this.buckets.get(b)
    if (bucket === undefined) {
      bucket = new Map()
      this.buckets.set(b, bucket)
    }
    bucket.set(toHex(requestId), entry)
    this.touch(entry)
    return entry
  }

  setProcessing(entry: CallEntry): void {
    entry.status = 'processing'
    this.touch(entry)
  }

  complete(entry: CallEntry, result: { reply: Uint8Array } | { reject: Reject }): void {
    if ('reply' in result) {
      entry.status = 'replied'
      entry.reply = result.reply
    } else {
      entry.status = 'rejected'
      entry.reject = result.reject
    }
    entry.completedAtNs = this.nowNs()
    this.withPayload.push(entry)
    this.retainedBytes += payloadSize(entry)
    this.touch(entry)
    entry.markSettled()
    this.enforceBudget()
  }

  private enforceBudget(): void {
    while (this.retainedBytes > this.maxRetainedReplyBytes && this.withPayload.length > 1) {
      const oldest = this.withPayload.shift() as CallEntry
      this.retainedBytes -= payloadSize(oldest)
      if (oldest.status === 'done') continue
      oldest.markDone()
      this.touch(oldest)
    }
  }

  get size(): number {
    let n = 0
    for (const bucket of this.buckets.values()) n += bucket.size
    return n
  }

  /** The `/request_status` level of the state tree. */
  level(): StateLevel {
    this.evict()
    if (this.cachedLevel !== undefined && this.dirty.size === 0) return this.cachedLevel
    for (const b of this.dirty) {
      const bucket = this.buckets.get(b)
      if (bucket === undefined || bucket.size === 0) {
        this.bucketLevels.delete(b)
        this.buckets.delete(b)
      } else {
        this.bucketLevels.set(b, StateLevel.of([...bucket.values()].map((e) => [e.requestId, e.node()] as const)))
      }
    }
    this.dirty.clear()
    const ordered = [...this.bucketLevels.entries()].sort(([a], [b]) => a - b).map(([, level]) => level)
    this.cachedLevel = StateLevel.concat(ordered)
    return this.cachedLevel
  }

  /** Forget terminal calls once they are both past retention and expired, so no resend can re-run them. */
  private evict(): void {
    const now = this.nowNs()
    if (now - this.lastEvictionNs < EVICT_EVERY_NS) return
    this.lastEvictionNs = now
    let evicted = false
    for (const [b, bucket] of this.buckets) {
      for (const [key, entry] of bucket) {
        if (entry.completedAtNs !== undefined && now > entry.completedAtNs + RETENTION_NS && now > entry.ingressExpiry) {
          bucket.delete(key)
          this.dirty.add(b)
          if (entry.status !== 'done') {
            entry.markDone()
            evicted = true
          }
        }
      }
    }
    if (evicted) {
      // Entries forgotten above were marked done, which drops them from the byte count too.
      let kept = 0
      const remaining = this.withPayload.filter((e) => e.status !== 'done')
      for (const e of remaining) kept += payloadSize(e)
      this.withPayload.splice(0, this.withPayload.length, ...remaining)
      this.retainedBytes = kept
    }
    if (this.dirty.size > 0) this.version++
  }

  private touch(entry: CallEntry): void {
    this.dirty.add(entry.requestId[0] as number)
    this.version++
  }
}
