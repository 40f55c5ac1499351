'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { escapeHtml, pipelineRows, loadPipelines } = require('../src/app.js');

test('escapeHtml escapes markup', () => {
  assert.equal(escapeHtml('<b a="1">&\'</b>'), '&lt;b a=&quot;1&quot;&gt;&amp;&#39;&lt;/b&gt;');
});

test('pipelineRows renders one row per pipeline', () => {
  const rows = pipelineRows({ pipelines: [{ pipeline_id: 'id1', display_name: 'Hello <world>' }, { pipeline_id: 'id2' }] });
  assert.deepEqual(rows, [
    '<tr><td>Hello &lt;world&gt;</td><td></td></tr>',
    '<tr><td>id2</td><td></td></tr>',
  ]);
  assert.deepEqual(pipelineRows({}), []);
});

test('loadPipelines shows an error when the API server fails', async () => {
  const inserted = [];
  const doc = { getElementById: () => ({ insertAdjacentHTML: (where, html) => inserted.push([where, html]) }) };
  await loadPipelines(doc, async () => ({ ok: false, status: 503 }));
  assert.deepEqual(inserted, [['afterend', '<p class="error">Cannot list pipelines: HTTP 503</p>']]);
});
