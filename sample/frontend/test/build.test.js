'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { build, buildInfo } = require('../scripts/build.js');

test('buildInfo falls back to defaults', () => {
  assert.deepEqual(buildInfo({}), { commitHash: 'unknown', tagName: 'dev', date: 'unknown' });
  assert.equal(buildInfo({ TAG_NAME: '2.17.0' }).tagName, '2.17.0');
});

test('build writes index.html, static files and build-info.json', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kfp-frontend-'));
  try {
    const env = { COMMIT_HASH: 'abc123', TAG_NAME: '2.17.0', DATE: '2026-08-01' };
    build({ srcDir: path.join(__dirname, '..', 'src'), outDir: out, env });
    const info = JSON.parse(fs.readFileSync(path.join(out, 'build-info.json'), 'utf8'));
    assert.deepEqual(info, { commitHash: 'abc123', tagName: '2.17.0', date: '2026-08-01' });
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    assert.match(html, /<span id="build">2\.17\.0<\/span>/);
    assert.ok(fs.existsSync(path.join(out, 'static', 'app.js')));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
