'use strict';

// Builds the UI into build/: static files, index.html with the tag filled
// in, and build-info.json with COMMIT_HASH, TAG_NAME and DATE (the build
// args of frontend/Dockerfile). Deterministic: the same inputs give the same
// output bytes.
const fs = require('node:fs');
const path = require('node:path');

function buildInfo(env) {
  return {
    commitHash: env.COMMIT_HASH || 'unknown',
    tagName: env.TAG_NAME || 'dev',
    date: env.DATE || 'unknown',
  };
}

function build({ srcDir, outDir, env }) {
  const info = buildInfo(env);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, 'static'), { recursive: true });
  for (const name of fs.readdirSync(srcDir).sort()) {
    const src = path.join(srcDir, name);
    if (name === 'index.html') {
      const html = fs.readFileSync(src, 'utf8').replaceAll('%KFP_TAG_NAME%', info.tagName);
      fs.writeFileSync(path.join(outDir, name), html);
    } else {
      fs.copyFileSync(src, path.join(outDir, 'static', name));
    }
  }
  fs.writeFileSync(path.join(outDir, 'build-info.json'), JSON.stringify(info, null, 2) + '\n');
  return info;
}

module.exports = { buildInfo, build };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const info = build({ srcDir: path.join(root, 'src'), outDir: path.join(root, 'build'), env: process.env });
  console.log(`built frontend ${info.tagName} (${info.commitHash}, ${info.date}) into build/`);
}
