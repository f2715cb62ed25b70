// npm bittorrent-tracker 11.2.3's server, WebSocket only, for the tracker benchmark; prints its
// port. Usage: node tracker/bench-server.mjs [port]
import { Server } from 'bittorrent-tracker'

const server = new Server({ udp: false, http: false, ws: true, stats: false })
server.on('warning', () => {})
server.on('error', err => { console.error(err); process.exit(1) })
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(server.ws.address().port)
})
