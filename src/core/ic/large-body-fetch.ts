/**
 * `fetch` for the agent that sends a large request body (a 2 MB snapshot upload slice) straight to
 * the socket. Node's fetch copies a byte body into a stream and again per chunk before writing it,
 * two extra 2 MB copies per slice that showed up as ≈ 3 ms of CPU and most of the upload's garbage.
 * Everything else (small bodies, GET, anything unusual) goes to the global fetch unchanged.
 */
import http from 'node:http'
import https from 'node:https'

/** Bodies from this size up take the direct path; below it the copies cost nothing worth saving. */
const LARGE_BODY_BYTES = 64 * 1024
/** Statuses that `Response` refuses a body for. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304])

export function createLargeBodyFetch(base: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) }
  return async (input, init) => {
    const body = init?.body
    const url = input instanceof URL ? input : typeof input === 'string' ? new URL(input) : undefined
    if (url === undefined || !(body instanceof Uint8Array) || body.byteLength < LARGE_BODY_BYTES || !(url.protocol in agents)) {
      return base(input, init)
    }
    return send(url, body, init ?? {}, agents[url.protocol as keyof typeof agents])
  }
}

function send(url: URL, body: Uint8Array, init: RequestInit, agent: http.Agent): Promise<Response> {
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
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', failed)
      res.on('end', () => {
        const status = res.statusCode ?? 0
        const responseHeaders = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value)
        }
        try {
          const response = new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders
          })
          // The agent tells an unsupported /api/v4 endpoint (404) by the response's URL.
          Object.defineProperty(response, 'url', { value: url.href })
          resolve(response)
        } catch (error: unknown) {
          failed(error)
        }
      })
    })
    req.on('error', failed)
    req.end(body)
  })
}
