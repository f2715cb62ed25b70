// STAND-IN for the R2 bucket until the uplink lands: serves the built viewer under /venue/ and
// the stream under /venue/hls/ (copied through from the box on request, Range included), the
// layout the uplink uploads. Usage: node r2.mjs BOX_URL VIEWER_DIST HOST PORT
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';

const [boxUrl, dist, host, port] = process.argv.slice(2);
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png',
  '.webmanifest': 'application/manifest+json', '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t' };
const type = (p) => TYPES[p.slice(p.lastIndexOf('.'))] || 'application/octet-stream';

http.createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (!path.startsWith('/venue/')) return res.writeHead(404).end();
  const rel = normalize(path.slice('/venue/'.length) || 'index.html');
  if (rel.startsWith('..')) return res.writeHead(400).end();
  if (rel.startsWith('hls/')) {
    const up = await fetch(`${boxUrl}/${rel}`, { headers: req.headers.range ? { range: req.headers.range } : {} });
    const body = Buffer.from(await up.arrayBuffer());
    const headers = { 'content-type': type(rel), 'access-control-allow-origin': '*' };
    if (up.headers.get('content-range')) headers['content-range'] = up.headers.get('content-range');
    return res.writeHead(up.status, headers).end(body);
  }
  try {
    res.writeHead(200, { 'content-type': type(rel) }).end(await readFile(join(dist, rel)));
  } catch {
    res.writeHead(404).end();
  }
}).listen(Number(port), host, () => console.log(`R2 stand-in on http://${host}:${port}/venue/`));
