#!/usr/bin/env bash
# kfp-release: sets the version of a KFP checkout, the job of KFP's release
# image (which also runs the API generator and updates the changelog).
#
#   release.sh --version                 print the version line and exit
#   release.sh NEW_VERSION [REPO_DIR]    bump REPO_DIR (default: the working directory)
#
# Updates VERSION and the frontend package.json / package-lock.json files
# (with node), then regenerates the API types with kfp-api-generator when it
# is installed (it is, in the image: its base is kfp-api-generator).
set -euo pipefail

die() { echo "kfp-release: $*" >&2; exit 1; }

if [ "$#" -eq 1 ] && [ "$1" = "--version" ]; then
  node_version=$(node --version 2>/dev/null || echo none)
  echo "kfp-release version=${TAG_NAME:-dev} commit=${COMMIT_SHA:-unknown} node=${node_version} arch=$(dpkg --print-architecture)"
  exit 0
fi
[ "$#" -ge 1 ] && [ "$#" -le 2 ] || die "usage: release.sh --version | NEW_VERSION [REPO_DIR]"

new=$1
repo=${2:-.}
[[ $new =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "$new is not a semantic version (X.Y.Z)"
[ -f "$repo/VERSION" ] && [ -f "$repo/go.mod" ] || die "$repo is not a KFP checkout (no VERSION or go.mod)"
command -v node >/dev/null || die "node is required"

cd "$repo"
old=$(cat VERSION)
echo "$new" > VERSION

for f in frontend/package.json frontend/package-lock.json frontend/server/package.json frontend/server/package-lock.json; do
  [ -f "$f" ] || continue
  node - "$f" "$new" <<'JS'
const fs = require('node:fs');
const [file, version] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
pkg.version = version;
if (pkg.packages && pkg.packages['']) pkg.packages[''].version = version;
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
JS
  echo "updated $f"
done

if command -v kfp-api-generator >/dev/null && [ -f backend/api/v2beta1/pipeline.json ]; then
  kfp-api-generator -in backend/api/v2beta1/pipeline.json -out backend/api/v2beta1/go_client/pipeline.gen.go
  echo "regenerated backend/api/v2beta1/go_client/pipeline.gen.go"
fi
echo "released $old -> $new"
