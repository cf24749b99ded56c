/**
 * A JSON reader that keeps integers exact. `metadata.json` holds u64 timestamps and sizes (and
 * Candid `nat` values) that `JSON.parse` would round above 2^53; serde_json writes them as plain
 * numbers.
 */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue }

/** A number as written, so the caller decides between `bigint` and `number`. */
export class JsonNumber {
  constructor(readonly text: string) {}
  get isInteger(): boolean {
    return /^-?\d+$/.test(this.text)
  }
}

export function parseLosslessJson(text: string): JsonValue {
  let pos = 0
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${pos}`)
  }
  const skip = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos] ?? '')) pos++
  }
  const value = (): JsonValue => {
    skip()
    const c = text[pos]
    if (c === '{') {
      pos++
      const obj: { [key: string]: JsonValue } = {}
      skip()
      if (text[pos] === '}') {
        pos++
        return obj
      }
      for (;;) {
        skip()
        if (text[pos] !== '"') fail('expected a key')
        const key = string()
        skip()
        if (text[pos++] !== ':') fail("expected ':'")
        obj[key] = value()
        skip()
        const sep = text[pos++]
        if (sep === '}') return obj
        if (sep !== ',') fail("expected ',' or '}'")
      }
    }
    if (c === '[') {
      pos++
      const arr: JsonValue[] = []
      skip()
      if (text[pos] === ']') {
        pos++
        return arr
      }
      for (;;) {
        arr.push(value())
        skip()
        const sep = text[pos++]
        if (sep === ']') return arr
        if (sep !== ',') fail("expected ',' or ']'")
      }
    }
    if (c === '"') return string()
    for (const [word, result] of [
      ['true', true],
      ['false', false],
      ['null', null]
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length
        return result
      }
    }
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400))
    if (match === null) return fail('unexpected character')
    pos += match[0].length
    return new JsonNumber(match[0])
  }
  const string = (): string => {
    const start = pos
    pos++
    let escaped = false
    while (pos < text.length) {
      const c = text[pos++]
      if (escaped) escaped = false
      else if (c === '\\') escaped = true
      else if (c === '"') return JSON.parse(text.slice(start, pos)) as string
    }
    return fail('unterminated string')
  }
  const result = value()
  skip()
  if (pos !== text.length) fail('trailing characters')
  return result
}
