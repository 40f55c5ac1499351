"""Sample KFP metadata writer.

    python3 metadata_writer.py [--events-dir DIR] [--db PATH] [--interval S] [--once]
    python3 metadata_writer.py --version

KFP's writer watches pods through the Kubernetes API; this one reads pod
objects (JSON files) dropped into --events-dir, records the completed ones in
the metadata store and renames each handled file to *.done.
"""
import argparse
import glob
import json
import os
import platform
import sys
import time

import metadata_helpers

PROGRAM = "kfp-metadata-writer"
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def version_line():
    machine = platform.machine()
    return (f"{PROGRAM} version={os.environ.get('TAG_NAME') or 'dev'} "
            f"commit={os.environ.get('COMMIT_SHA') or 'unknown'} "
            f"arch={_ARCHES.get(machine.lower(), machine)}")


def process_dir(store, events_dir):
    """Handles every *.json pod file once; returns the number recorded."""
    recorded = 0
    for path in sorted(glob.glob(os.path.join(events_dir, "*.json"))):
        try:
            with open(path, encoding="utf-8") as f:
                pod = json.load(f)
            if store.record_pod(pod) is not None:
                recorded += 1
                print(f"recorded {pod['metadata']['name']}", flush=True)
        except (ValueError, KeyError) as e:
            print(f"skipping {path}: {e}", file=sys.stderr, flush=True)
        os.replace(path, path + ".done")
    return recorded


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROGRAM)
    parser.add_argument("--version", action="store_true", help="print the version line and exit")
    parser.add_argument("--events-dir", default=os.environ.get("KFP_EVENTS_DIR", "/tmp/kfp-pod-events"))
    parser.add_argument("--db", default=os.environ.get("KFP_METADATA_DB", "/tmp/kfp-metadata.sqlite"))
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--once", action="store_true", help="process the directory once and exit")
    args = parser.parse_args(argv)
    if args.version:
        print(version_line())
        return 0

    os.makedirs(args.events_dir, exist_ok=True)
    store = metadata_helpers.MetadataStore(args.db)
    print(f"{version_line()} watching {args.events_dir}", flush=True)
    try:
        while True:
            process_dir(store, args.events_dir)
            if args.once:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
