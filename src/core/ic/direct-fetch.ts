/**
 * `fetch` for the agent that sends request bodies over `node:http` and reads each response body
 * once, into one buffer of its declared length. Node's fetch (undici) copied a byte body into a
 * stream and again per chunk before writing it (two extra 2 MB copies per upload slice), and read a
 * 2 MB reply through web streams into chunks it then concatenated: together ≈ 3 ms of CPU and most
 * of the garbage per slice, on the thread that also checks certificates. Requests without a byte
 * body (the status GET) and other protocols go to the global fetch unchanged.
 */
import http from 'node:http'
import https from 'node:https'

/**
 * A request whose socket stays silent this long fails, as undici's fetch fails one after its
 * default 300 s headers or body timeout: a hung connection must not hold the step (or the process,
 * which waits for open sockets) forever. The agent reports it as a transport error, like any other.
 */
const DEFAULT_IDLE_TIMEOUT_MS = 300_000
/** IC replies are a few MB at most; a larger declared length is not trusted with one allocation. */
const MAX_PREALLOCATED_BYTES = 64 * 1024 * 1024
/** Statuses that `Response` gives no body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

export interface DirectFetchOptions {
  idleTimeoutMs?: number
  /** Called whenever a request body has been handed to the operating system, i.e. the wait for its reply begins. */
  onRequestSent?: () => void
}

export function createDirectFetch(base: typeof fetch = globalThis.fetch.bind(globalThis), { idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS, onRequestSent }: DirectFetchOptions = {}): typeof fetch {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) }
  return async (input, init) => {
    const body = init?.body
    const url = input instanceof URL ? input : typeof input === 'string' ? new URL(input) : undefined
    if (url === undefined || !(body instanceof Uint8Array) || !(url.protocol in agents)) return base(input, init)
    return send(url, body, init ?? {}, agents[url.protocol as keyof typeof agents], idleTimeoutMs, onRequestSent)
  }
}

/**
 * A `Response` over bytes already in memory: `arrayBuffer()` hands out their buffer instead of
 * copying it again (and may be called more than once; the agent calls it once). A real `Response`
 * with its body methods replaced, so `instanceof` and headers behave as fetch's do.
 */
function bufferedResponse(bytes: Buffer, init: ResponseInit, href: string): Response {
  const response = new Response(null, init)
  const exact = (): ArrayBuffer => {
    const { buffer, byteOffset, byteLength } = bytes
    if (byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) return buffer
    return buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer
  }
  return Object.defineProperties(response, {
    // The agent tells an unsupported /api/v4 endpoint (404) by the response's URL.
    url: { value: href },
    body: { get: () => (NULL_BODY_STATUSES.has(response.status) ? null : new Blob([bytes]).stream()) },
    arrayBuffer: { value: async () => exact() },
    text: { value: async () => bytes.toString('utf8') },
    json: { value: async () => JSON.parse(bytes.toString('utf8')) as unknown },
    clone: { value: () => bufferedResponse(bytes, init, href) }
  })
}

function send(url: URL, body: Uint8Array, init: RequestInit, agent: http.Agent, idleTimeoutMs: number, onSent: (() => void) | undefined): Promise<Response> {
  const headers: Record<string, string> = {}
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value
  })
  const request = (url.protocol === 'https:' ? https : http).request
  return new Promise<Response>((resolve, reject) => {
    const failed = (error: unknown): void => {
      // The agent reports a thrown fetch error as a transport failure, as it does undici's.
      reject(new TypeError('fetch failed', { cause: error }))
    }
    const req = request(url, { method: init.method ?? 'POST', headers, agent, signal: init.signal ?? undefined }, (res) => {
      const declared = Number(res.headers['content-length'])
      // One buffer of the declared length, filled as chunks arrive: no list of chunks to concatenate.
      const whole = Number.isSafeInteger(declared) && declared > 0 && declared <= MAX_PREALLOCATED_BYTES ? Buffer.allocUnsafeSlow(declared) : undefined
      const chunks: Buffer[] = []
      let received = 0
      res.on('data', (chunk: Buffer) => {
        if (whole !== undefined && received + chunk.length <= whole.length) chunk.copy(whole, received)
        else chunks.push(chunk)
        received += chunk.length
      })
      res.on('error', failed)
      res.on('end', () => {
        const status = res.statusCode ?? 0
        const responseHeaders = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value)
        }
        try {
          const bytes =
            whole === undefined ? Buffer.concat(chunks) : chunks.length === 0 && received === whole.length ? whole : Buffer.concat([whole.subarray(0, Math.min(received, whole.length)), ...chunks])
          resolve(bufferedResponse(bytes, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }, url.href))
        } catch (error: unknown) {
          failed(error)
        }
      })
    })
    req.on('error', failed)
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no data from ${url.host} for ${idleTimeoutMs / 1000} s`)))
    if (onSent !== undefined) req.once('finish', onSent)
    req.end(body)
  })
}
