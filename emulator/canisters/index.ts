/**
 * The test canisters for tests, the demo and benchmarks: their built modules and the ballast
 * checksum (see ballast.wat) computed over snapshot bytes.
 */
import { readFile } from 'node:fs/promises'
import { builtModuleUrl, type CanisterName } from './names.js'

export { CANISTER_NAMES, type CanisterName } from './names.js'
export { ballastIdl, counterIdl, type BallastService, type CounterService } from './idl.js'

/** The committed module `emulator/canisters/build/<name>.wasm`. */
export async function loadCanisterModule(name: CanisterName): Promise<Uint8Array> {
  return new Uint8Array(await readFile(builtModuleUrl(name)))
}

/** Bytes of the ballast canister's heap before the ballast: page 0 (I/O) and page 1 (staging). */
export const BALLAST_HEAP_START = 131_072

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
/**
 * Bound once: inside a vm context (jest) every `Math.imul` lookup goes through the context's
 * global object, which makes the hot loop some 200 times slower.
 */
const imul = Math.imul

/**
 * The ballast checksum, fed with the ballast heap (wasm memory from `BALLAST_HEAP_START`) and then
 * the stable memory, in chunks of any size (e.g. `read_canister_snapshot_data` slices).
 */
export class BallastChecksum {
  private h = FNV_OFFSET
  private s = 0
  private carry = new Uint8Array(4)
  private carried = 0

  update(chunk: Uint8Array): this {
    let bytes = chunk
    if (this.carried > 0) {
      const take = Math.min(4 - this.carried, bytes.length)
      this.carry.set(bytes.subarray(0, take), this.carried)
      this.carried += take
      bytes = bytes.subarray(take)
      if (this.carried < 4) return this
      this.fold(this.carry, 0, 4)
      this.carried = 0
    }
    const whole = bytes.length - (bytes.length % 4)
    this.fold(bytes, 0, whole)
    this.carry.set(bytes.subarray(whole))
    this.carried = bytes.length - whole
    return this
  }

  digest(): bigint {
    if (this.carried !== 0) throw new RangeError(`ballast checksum input is not a whole number of 32-bit words (${this.carried} bytes left over)`)
    return (BigInt(this.h >>> 0) << 32n) | BigInt(this.s >>> 0)
  }

  private fold(bytes: Uint8Array, start: number, end: number): void {
    let h = this.h
    let s = this.s
    // Aligned input is read as 32-bit words; otherwise byte by byte (little-endian either way).
    if ((bytes.byteOffset + start) % 4 === 0 && isLittleEndian) {
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset + start, (end - start) / 4)
      for (let i = 0; i < words.length; i++) {
        const w = words[i] ?? 0
        h = imul(h ^ w, FNV_PRIME)
        s = (s + w) | 0
      }
    } else {
      for (let i = start; i < end; i += 4) {
        const w = ((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) >>> 0
        h = imul(h ^ w, FNV_PRIME)
        s = (s + w) | 0
      }
    }
    this.h = h
    this.s = s
  }
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** The checksum `grow` and `checksum` reply, from a snapshot's wasm memory and stable memory. */
export function ballastChecksum(wasmMemory: Uint8Array, stableMemory: Uint8Array): bigint {
  return new BallastChecksum().update(wasmMemory.subarray(BALLAST_HEAP_START)).update(stableMemory).digest()
}
