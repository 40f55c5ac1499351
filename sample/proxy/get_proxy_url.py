"""Picks the inverse proxy URL for the zone this agent runs in.

Like KFP's proxy/get_proxy_url.py: the proxy-urls map has region keys
("us-central1") and continent keys ("us"); URLs for the exact region come
first, then those of the same continent.

    python3 get_proxy_url.py --config-file-path proxy-urls.json --zone us-central1-a
"""
import argparse
import json
import sys


def urls_for_zone(zone, location_to_urls):
    """Returns the candidate proxy URLs for a zone such as "us-central1-a",
    best first, without duplicates."""
    parts = zone.split("-")
    if len(parts) < 2:
        raise ValueError(f"invalid zone {zone!r}")
    region = "-".join(parts[:2])
    continent = parts[0]
    urls = []
    for key in (region, continent):
        for url in location_to_urls.get(key, []):
            if url not in urls:
                urls.append(url)
    return urls


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config-file-path", required=True)
    parser.add_argument("--zone", required=True)
    args = parser.parse_args(argv)
    with open(args.config_file_path, encoding="utf-8") as f:
        urls = urls_for_zone(args.zone, json.load(f))
    if not urls:
        print(f"no proxy URL for zone {args.zone}", file=sys.stderr)
        return 1
    print(urls[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
