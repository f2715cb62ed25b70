// STAND-IN for the box's /announce tracker until it lands on main: the real npm
// bittorrent-tracker 11.2.3 server, WebSocket only. `--refuse` makes it refuse every announce
// (P2P blocked). Usage: node tracker.mjs HOST PORT [--refuse]
import { Server } from 'bittorrent-tracker';

const [host, port, flag] = process.argv.slice(2);
const refuse = flag === '--refuse';
const server = new Server({
  udp: false,
  http: false,
  ws: true,
  stats: false,
  filter: (_infoHash, _params, cb) => cb(refuse ? new Error('P2P disabled by the test') : null),
});
server.on('error', (e) => console.error('tracker error:', e.message));
server.on('warning', () => {});
server.listen(Number(port), host, () => console.log(`tracker${refuse ? ' (refusing)' : ''} on ws://${host}:${port}`));
