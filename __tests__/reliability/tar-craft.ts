/**
 * Writes hostile tar archives byte by byte (ustar): entries named `../x` or `/abs/x`, symlinks and
 * hard links pointing outside. The `tar` package refuses to *create* such entries, which is exactly
 * why an attacker's archive has to be crafted by hand.
 */
import { writeFile } from 'node:fs/promises'

export interface CraftedEntry {
  name: string
  /** '0' regular file, '1' hard link, '2' symlink, '5' directory. */
  type: '0' | '1' | '2' | '5'
  content?: Buffer
  linkname?: string
}

const BLOCK = 512

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8')
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`
}

function headerOf(entry: CraftedEntry): Buffer {
  const header = Buffer.alloc(BLOCK)
  const size = entry.type === '0' ? (entry.content?.length ?? 0) : 0
  field(header, 0, 100, entry.name)
  field(header, 100, 8, octal(entry.type === '5' ? 0o755 : 0o644, 8))
  field(header, 108, 8, octal(0, 8))
  field(header, 116, 8, octal(0, 8))
  field(header, 124, 12, octal(size, 12))
  field(header, 136, 12, octal(Math.floor(Date.now() / 1000), 12))
  field(header, 148, 8, '        ')
  field(header, 156, 1, entry.type)
  field(header, 157, 100, entry.linkname ?? '')
  field(header, 257, 6, 'ustar\0')
  field(header, 263, 2, '00')
  let sum = 0
  for (const byte of header) sum += byte
  field(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
  return header
}

export function craftTar(entries: CraftedEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    parts.push(headerOf(entry))
    if (entry.type === '0' && entry.content !== undefined && entry.content.length > 0) {
      const padded = Buffer.alloc(Math.ceil(entry.content.length / BLOCK) * BLOCK)
      entry.content.copy(padded)
      parts.push(padded)
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}

export async function writeCraftedTar(file: string, entries: CraftedEntry[]): Promise<void> {
  await writeFile(file, craftTar(entries))
}
