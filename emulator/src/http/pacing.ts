/**
 * Network profiles: the pace of a real IC network, on top of the latency model of server.ts
 * (`latencyMs` per update call, shared certification windows, in-flight cap).
 *
 * `mainnet` is an application subnet as the mainnet runs them:
 *
 * - update calls take 2 s: a subnet finalizes about one block per second (`UNIT_DELAY_APP_SUBNET`
 *   = 1 s) and a call takes about two rounds, one to be included in a block and one to be executed
 *   and certified; DFINITY documents "update (write) calls in ~2 seconds"
 *   (internetcomputer.org/capabilities/web-speed);
 * - queries and read_state answer in 250 ms: one HTTP round trip through a boundary node to
 *   one replica, documented as ~100–200 ms for queries and observed at 200–400 ms;
 * - ingress is packed into blocks, one block per second: a block takes messages while it holds less
 *   than `INGRESS_BYTES_PER_BLOCK_SOFT_CAP` (2 MiB; a soft cap, so a large message still gets in),
 *   never more than `MAX_BLOCK_PAYLOAD_SIZE` (4 MiB) in all and at most
 *   `MAX_INGRESS_MESSAGES_PER_BLOCK` (1000) messages (dfinity/ic
 *   `rs/prep/src/subnet_configuration/constants.rs`). Two upload slices of 2 MB fill a block, so a
 *   16-slice upload round takes 8 blocks, not one: a message that does not fit waits for the next
 *   block, and its call takes that much longer.
 *
 * What it leaves out: execution limits per round (instructions, heap delta), other users' traffic,
 * boundary-node rate limits and the internet between the client and the boundary node.
 */

export type ProfileName = 'mainnet'
export const PROFILE_NAMES: readonly ProfileName[] = ['mainnet']

export interface IngressBlockLimits {
  blockIntervalMs: number
  /** A block takes another message only while it holds fewer bytes than this. */
  softCapBytes: number
  /** Never more ingress bytes than this in one block. */
  maxBlockBytes: number
  maxMessages: number
}

export interface NetworkProfile {
  updateLatencyMs: number
  /** Time a query or read_state request takes (an HTTP round trip to one replica). */
  roundTripMs: number
  ingress: IngressBlockLimits
}

const MIB = 1024 * 1024

export const PROFILES: Readonly<Record<ProfileName, NetworkProfile>> = {
  mainnet: {
    updateLatencyMs: 2000,
    roundTripMs: 250,
    ingress: { blockIntervalMs: 1000, softCapBytes: 2 * MIB, maxBlockBytes: 4 * MIB, maxMessages: 1000 }
  }
}

interface BlockFill {
  bytes: number
  messages: number
}

/**
 * The ingress of the blocks to come. Blocks are cut every `blockIntervalMs`; a message joins the
 * first block that is not yet cut and has room for it, and the blocks it had to skip are the
 * delay it adds to its call.
 */
export class IngressBlocks {
  private readonly origin: number
  /** Fill of upcoming blocks, by block number. */
  private readonly blocks = new Map<number, BlockFill>()

  constructor(
    private readonly limits: IngressBlockLimits,
    private readonly now: () => number = () => performance.now()
  ) {
    this.origin = now()
  }

  /** Books a message of `bytes` into a block; returns how long it waits beyond the next block (ms). */
  admit(bytes: number): number {
    const next = Math.ceil((this.now() - this.origin) / this.limits.blockIntervalMs)
    for (const k of this.blocks.keys()) if (k < next) this.blocks.delete(k)
    let k = next
    for (;;) {
      const fill = this.blocks.get(k) ?? { bytes: 0, messages: 0 }
      if (this.fits(fill, bytes)) {
        this.blocks.set(k, { bytes: fill.bytes + bytes, messages: fill.messages + 1 })
        return (k - next) * this.limits.blockIntervalMs
      }
      k++
    }
  }

  private fits(fill: BlockFill, bytes: number): boolean {
    // An empty block takes any message the interface accepted, as the IC's own size check is on the message.
    if (fill.messages === 0) return true
    return fill.messages < this.limits.maxMessages && fill.bytes < this.limits.softCapBytes && fill.bytes + bytes <= this.limits.maxBlockBytes
  }
}
