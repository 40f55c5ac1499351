'use strict';

// Web server of the sample KFP UI: serves the built UI, answers
// /apis/v1beta1/healthz with the build info, and proxies the other /apis/
// requests to the API server (API_SERVER_ADDRESS).
//
//   node server.js [STATIC_DIR] [PORT]   STATIC_DIR defaults to $KFP_STATIC_DIR or ../build
//   node server.js --version             print the version line and exit
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const PROGRAM = 'kfp-frontend';
const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

function archName(arch = process.arch) {
  return { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' }[arch] || arch;
}

function defaultStaticDir(env = process.env) {
  return env.KFP_STATIC_DIR || path.resolve(__dirname, '..', 'build');
}

function readBuildInfo(staticDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(staticDir, 'build-info.json'), 'utf8'));
  } catch {
    return { commitHash: 'unknown', tagName: 'dev', date: 'unknown' };
  }
}

function versionLine(staticDir) {
  const info = readBuildInfo(staticDir);
  return `${PROGRAM} version=${info.tagName || 'dev'} commit=${info.commitHash || 'unknown'} arch=${archName()}`;
}

// Resolves a URL path inside staticDir; null when it would escape it.
function resolveStatic(staticDir, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const root = path.resolve(staticDir);
  const file = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

function send(res, code, body, type = 'text/plain; charset=utf-8') {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function proxy(req, res, apiServerAddress) {
  const target = new URL(req.url, apiServerAddress);
  const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
    res.writeHead(up.statusCode, up.headers);
    up.pipe(res);
  });
  upstream.on('error', (err) => send(res, 502, `API server unreachable: ${err.message}\n`));
  req.pipe(upstream);
}

function createServer({ staticDir, apiServerAddress }) {
  const info = readBuildInfo(staticDir);
  return http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    if (pathname === '/apis/v1beta1/healthz') {
      const body = { frontendCommitHash: info.commitHash, frontendTagName: info.tagName, buildDate: info.date, apiServerConfigured: Boolean(apiServerAddress) };
      return send(res, 200, JSON.stringify(body) + '\n', CONTENT_TYPES['.json']);
    }
    if (pathname.startsWith('/apis/')) {
      if (!apiServerAddress) return send(res, 503, 'API_SERVER_ADDRESS is not set\n');
      return proxy(req, res, apiServerAddress);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    let file = resolveStatic(staticDir, pathname);
    if (file === null) return send(res, 400, 'bad path\n');
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(staticDir, 'index.html'); // single-page app: unknown routes get the UI
    }
    fs.readFile(file, (err, data) => {
      if (err) return send(res, 404, 'not found\n');
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Length': data.length });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  });
}

module.exports = { archName, versionLine, resolveStatic, createServer, readBuildInfo };

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.length === 1 && args[0] === '--version') {
    console.log(versionLine(defaultStaticDir()));
    process.exit(0);
  }
  const staticDir = path.resolve(args[0] || defaultStaticDir());
  const port = Number(args[1] || process.env.PORT || 3000);
  const server = createServer({ staticDir, apiServerAddress: process.env.API_SERVER_ADDRESS || '' });
  server.listen(port, () => console.log(`${versionLine(staticDir)} serving ${staticDir} on :${port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
