'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { archName, resolveStatic, createServer } = require('./server.js');

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function makeStaticDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfp-static-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<h1>KFP</h1>\n');
  fs.writeFileSync(path.join(dir, 'build-info.json'), JSON.stringify({ commitHash: 'abc', tagName: '2.17.0', date: 'today' }));
  return dir;
}

test('archName maps node arch names to OCI names', () => {
  assert.equal(archName('x64'), 'amd64');
  assert.equal(archName('arm64'), 'arm64');
});

test('resolveStatic refuses paths outside the static dir', () => {
  assert.equal(resolveStatic('/srv/client', '/static/app.js'), path.resolve('/srv/client/static/app.js'));
  assert.equal(resolveStatic('/srv/client', '/../../etc/passwd'), path.resolve('/srv/client/etc/passwd'));
  assert.equal(resolveStatic('/srv/client', '/%2e%2e/%2e%2e/etc/passwd'), path.resolve('/srv/client/etc/passwd'));
  assert.equal(resolveStatic('/srv/client', '/%E0%A4%A'), null);
});

test('serves the UI, healthz and proxies /apis/', async (t) => {
  const staticDir = makeStaticDir();
  const api = http.createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
  const apiURL = await listen(api);
  const server = createServer({ staticDir, apiServerAddress: apiURL });
  const url = await listen(server);
  t.after(() => {
    server.close();
    api.close();
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  const index = await fetch(`${url}/pipelines/details/123`);
  assert.equal(index.status, 200);
  assert.equal(await index.text(), '<h1>KFP</h1>\n');

  const health = await (await fetch(`${url}/apis/v1beta1/healthz`)).json();
  assert.equal(health.frontendTagName, '2.17.0');
  assert.equal(health.frontendCommitHash, 'abc');

  const proxied = await (await fetch(`${url}/apis/v2beta1/pipelines?page_size=1`)).json();
  assert.deepEqual(proxied, { path: '/apis/v2beta1/pipelines?page_size=1' });
});

test('/apis/ without an API server is 503', async (t) => {
  const staticDir = makeStaticDir();
  const server = createServer({ staticDir, apiServerAddress: '' });
  const url = await listen(server);
  t.after(() => {
    server.close();
    fs.rmSync(staticDir, { recursive: true, force: true });
  });
  assert.equal((await fetch(`${url}/apis/v2beta1/pipelines`)).status, 503);
});

test('--version prints one line with the build info and arch', () => {
  const staticDir = makeStaticDir();
  try {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'server.js'), '--version'], {
      env: { ...process.env, KFP_STATIC_DIR: staticDir },
      encoding: 'utf8',
    });
    assert.equal(out, `kfp-frontend version=2.17.0 commit=abc arch=${archName()}\n`);
  } finally {
    fs.rmSync(staticDir, { recursive: true, force: true });
  }
});
