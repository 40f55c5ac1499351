import json
import os
import platform
import subprocess
import sys

import metadata_helpers
import metadata_writer


def test_process_dir_records_and_renames(tmp_path):
    pod = {"metadata": {"name": "p1", "labels": {metadata_helpers.COMPLETED_LABEL: "true"}}}
    (tmp_path / "p1.json").write_text(json.dumps(pod))
    (tmp_path / "broken.json").write_text("{")
    store = metadata_helpers.MetadataStore()
    assert metadata_writer.process_dir(store, str(tmp_path)) == 1
    assert sorted(os.listdir(tmp_path)) == ["broken.json.done", "p1.json.done"]
    store.close()


def test_version_line():
    env = dict(os.environ, TAG_NAME="", COMMIT_SHA="abc")
    out = subprocess.run([sys.executable, metadata_writer.__file__, "--version"], env=env,
                         capture_output=True, text=True, check=True).stdout
    want_arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    assert out == f"kfp-metadata-writer version=dev commit=abc arch={want_arch}\n"
