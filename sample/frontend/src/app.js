'use strict';

// Lists the pipelines of the API server (proxied by the frontend server).
function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function pipelineRows(listResponse) {
  return (listResponse.pipelines || []).map(
    (p) => `<tr><td>${escapeHtml(p.display_name || p.pipeline_id)}</td><td>${escapeHtml(p.description || '')}</td></tr>`,
  );
}

async function loadPipelines(doc, fetchFn) {
  const table = doc.getElementById('pipelines');
  try {
    const resp = await fetchFn('apis/v2beta1/pipelines');
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    table.insertAdjacentHTML('beforeend', pipelineRows(await resp.json()).join(''));
  } catch (err) {
    table.insertAdjacentHTML('afterend', `<p class="error">Cannot list pipelines: ${escapeHtml(err.message)}</p>`);
  }
}

if (typeof module !== 'undefined') {
  module.exports = { escapeHtml, pipelineRows, loadPipelines };
}
if (typeof document !== 'undefined' && typeof fetch !== 'undefined') {
  loadPipelines(document, fetch);
}
