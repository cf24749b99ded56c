import http from 'node:http'
const agent = new http.Agent({ keepAlive: true })
const t = Date.now()
await new Promise(r => http.request(`http://127.0.0.1:18777/`, { method: 'POST', agent }, res => { res.resume(); res.on('end', r) }).end(Buffer.alloc(100000)))
process.on('exit', () => console.log('exit after', Date.now() - t, 'ms'))
