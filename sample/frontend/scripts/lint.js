'use strict';

// A dependency-free stand-in for KFP's format/lint/typecheck steps: every
// .js file must compile, every .json file must parse, and no text file may
// have tabs, trailing whitespace or a missing final newline.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const root = path.resolve(__dirname, '..');
const skip = new Set(['node_modules', 'build', '.git']);

function* files(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (/\.(js|json|html|css)$/.test(entry.name)) yield p;
  }
}

function lint(file) {
  const text = fs.readFileSync(file, 'utf8');
  const problems = [];
  text.split('\n').forEach((line, i) => {
    if (/\t/.test(line)) problems.push(`${i + 1}: tab`);
    if (/\s$/.test(line)) problems.push(`${i + 1}: trailing whitespace`);
  });
  if (text.length > 0 && !text.endsWith('\n')) problems.push('no final newline');
  try {
    if (file.endsWith('.json')) JSON.parse(text);
    if (file.endsWith('.js')) new vm.Script(text, { filename: file });
  } catch (err) {
    problems.push(err.message);
  }
  return problems;
}

let failed = 0;
let count = 0;
for (const file of files(root)) {
  count++;
  for (const p of lint(file)) {
    console.error(`${path.relative(root, file)}:${p}`);
    failed++;
  }
}
if (failed) {
  console.error(`lint: ${failed} problem(s)`);
  process.exit(1);
}
console.log(`lint: ${count} files ok`);
