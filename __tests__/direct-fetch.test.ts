import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { createDirectFetch } from '../src/core/ic/direct-fetch.js'

let server: http.Server
let base: string

beforeAll(async () => {
  // Echoes what it received: method, content type, length and SHA-256 of the body.
  server = http.createServer((req, res) => {
    const hash = createHash('sha256')
    let bytes = 0
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk)
      bytes += chunk.length
    })
    req.on('end', () => {
      if (req.url === '/empty') {
        res.writeHead(204, 'Nothing Here').end()
        return
      }
      if (req.url === '/echo-bytes') {
        // A large reply in many chunks, with or without a declared length.
        const reply = Buffer.alloc(3_000_000, 7)
        reply.writeUInt32BE(bytes, 0)
        res.writeHead(200, req.headers['x-chunked'] === '1' ? {} : { 'content-length': reply.length })
        for (let at = 0; at < reply.length; at += 100_000) res.write(reply.subarray(at, at + 100_000))
        res.end()
        return
      }
      const status = req.url === '/missing' ? 404 : 200
      res.writeHead(status, { 'content-type': 'application/json', 'x-seen': 'yes' })
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], bytes, sha256: hash.digest('hex') }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('createDirectFetch', () => {
  it('sends a large body intact and returns status, headers, body and URL', async () => {
    const body = randomBytes(2_000_000)
    const fallback = jest.fn<typeof fetch>()
    const url = new URL('/api/v4/canister/x/call', base)
    const response = await createDirectFetch(fallback)(url, { method: 'POST', headers: { 'Content-Type': 'application/cbor' }, body })
    expect(fallback).not.toHaveBeenCalled()
    expect(response.status).toBe(200)
    expect(response.ok).toBe(true)
    expect(response.headers.get('x-seen')).toBe('yes')
    expect(response.url).toBe(url.href)
    expect(await response.json()).toEqual({ method: 'POST', type: 'application/cbor', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') })
  })

  it('keeps the URL of a 404, which is how the agent detects a replica without /api/v4', async () => {
    const response = await createDirectFetch()(new URL('/missing', base), { method: 'POST', body: randomBytes(100_000) })
    expect(response.status).toBe(404)
    expect(response.url).toBe(`${base}/missing`)
  })

  it('returns a status without a body as one', async () => {
    const response = await createDirectFetch()(`${base}/empty`, { method: 'POST', body: randomBytes(100_000) })
    expect(response.status).toBe(204)
    expect(response.statusText).toBe('Nothing Here')
    expect(response.body).toBeNull()
  })

  it('reads a large reply whole, with or without a declared length, and can read it again', async () => {
    for (const chunked of ['0', '1']) {
      const response = await createDirectFetch()(`${base}/echo-bytes`, { method: 'POST', headers: { 'x-chunked': chunked }, body: randomBytes(1234) })
      const bytes = new Uint8Array(await response.arrayBuffer())
      expect(bytes).toHaveLength(3_000_000)
      expect(Buffer.from(bytes.subarray(0, 4)).readUInt32BE(0)).toBe(1234)
      expect(bytes[2_999_999]).toBe(7)
      // Buffer comparison: Jest's deep equality takes many seconds over 3 MB.
      expect(Buffer.from(await response.clone().arrayBuffer()).equals(bytes)).toBe(true)
      expect(Buffer.from(await new Response(response.body).arrayBuffer()).equals(bytes)).toBe(true)
    }
  })

  it('sends small bodies directly too, and leaves bodiless requests to the fetch it wraps', async () => {
    const fallback = jest.fn<typeof fetch>(async () => new Response('from fallback'))
    const wrapped = createDirectFetch(fallback)
    const small = await wrapped(`${base}/a`, { method: 'POST', body: randomBytes(100) })
    expect(((await small.json()) as { bytes: number }).bytes).toBe(100)
    expect(await (await wrapped(`${base}/b`)).text()).toBe('from fallback')
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it('fails like fetch when the server goes silent, instead of waiting forever', async () => {
    const silent = http.createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api/v4/canister/x/call`
      const error = await createDirectFetch(undefined, { idleTimeoutMs: 200 })(url, { method: 'POST', body: randomBytes(1000) }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TypeError)
      expect(((error as TypeError).cause as Error).message).toMatch(/no data from 127\.0\.0\.1:\d+ for 0\.2 s/)
    } finally {
      silent.closeAllConnections()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it('tells when a request is on the wire, before its reply', async () => {
    // Answers only once the test has seen the whole body arrive.
    let answer: (() => void) | undefined
    const slow = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        answer = () => res.end('late')
      })
    })
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve))
    try {
      const sent: string[] = []
      const fetchSlowly = createDirectFetch(undefined, { onRequestSent: () => sent.push('sent') })
      const reply = fetchSlowly(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/`, { method: 'POST', body: randomBytes(500_000) })
      while (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(sent).toEqual(['sent'])
      answer()
      expect(await (await reply).text()).toBe('late')
      expect(sent).toEqual(['sent'])
    } finally {
      slow.closeAllConnections()
      await new Promise<void>((resolve) => slow.close(() => resolve()))
    }
  })

  it('fails like fetch when nothing listens, so the agent reports a transport error', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const error = await createDirectFetch()(`http://127.0.0.1:${port}/`, { method: 'POST', body: randomBytes(100_000) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
    expect(((error as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })
})
