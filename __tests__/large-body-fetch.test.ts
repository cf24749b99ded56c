import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { createLargeBodyFetch } from '../src/core/ic/large-body-fetch.js'

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

describe('createLargeBodyFetch', () => {
  it('sends a large body intact and returns status, headers, body and URL', async () => {
    const body = randomBytes(2_000_000)
    const fallback = jest.fn<typeof fetch>()
    const url = new URL('/api/v4/canister/x/call', base)
    const response = await createLargeBodyFetch(fallback)(url, { method: 'POST', headers: { 'Content-Type': 'application/cbor' }, body })
    expect(fallback).not.toHaveBeenCalled()
    expect(response.status).toBe(200)
    expect(response.ok).toBe(true)
    expect(response.headers.get('x-seen')).toBe('yes')
    expect(response.url).toBe(url.href)
    expect(await response.json()).toEqual({ method: 'POST', type: 'application/cbor', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') })
  })

  it('keeps the URL of a 404, which is how the agent detects a replica without /api/v4', async () => {
    const response = await createLargeBodyFetch()(new URL('/missing', base), { method: 'POST', body: randomBytes(100_000) })
    expect(response.status).toBe(404)
    expect(response.url).toBe(`${base}/missing`)
  })

  it('returns a status without a body as one', async () => {
    const response = await createLargeBodyFetch()(`${base}/empty`, { method: 'POST', body: randomBytes(100_000) })
    expect(response.status).toBe(204)
    expect(response.statusText).toBe('Nothing Here')
    expect(response.body).toBeNull()
  })

  it('leaves small bodies and bodiless requests to the fetch it wraps', async () => {
    const fallback = jest.fn<typeof fetch>(async () => new Response('from fallback'))
    const wrapped = createLargeBodyFetch(fallback)
    await wrapped(`${base}/a`, { method: 'POST', body: randomBytes(100) })
    await wrapped(`${base}/b`)
    expect(fallback).toHaveBeenCalledTimes(2)
  })

  it('fails like fetch when nothing listens, so the agent reports a transport error', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const error = await createLargeBodyFetch()(`http://127.0.0.1:${port}/`, { method: 'POST', body: randomBytes(100_000) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
    expect(((error as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })
})
