"""Sample KFP visualization server.

    python3 server.py [--port 8888]   serve: GET / -> "alive"; POST / renders a visualization
    python3 server.py --version       print the version line and exit

POST / takes a form (application/x-www-form-urlencoded) with ``type``,
``source`` (CSV text) and ``arguments`` (JSON object), like KFP's server,
and answers an HTML fragment.
"""
import argparse
import os
import platform
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import exporter

PROGRAM = "kfp-visualization-server"
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def arch():
    machine = platform.machine()
    return _ARCHES.get(machine.lower(), machine)


def version_line():
    return (f"{PROGRAM} version={os.environ.get('TAG_NAME') or 'dev'} "
            f"commit={os.environ.get('COMMIT_SHA') or 'unknown'} arch={arch()}")


class Handler(BaseHTTPRequestHandler):
    server_version = PROGRAM

    def _send(self, code, body, content_type="text/html; charset=utf-8"):
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/":
            self._send(404, "not found\n", "text/plain")
            return
        self._send(200, "alive\n", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 10 * 1024 * 1024:
            self._send(413, "request too large\n", "text/plain")
            return
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
        field = lambda name: form.get(name, [""])[0]
        try:
            body = exporter.render(field("type"), field("source"), field("arguments"))
        except exporter.VisualizationError as e:
            self._send(400, f"{e}\n", "text/plain")
            return
        self._send(200, body)

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{PROGRAM}: {self.address_string()} {fmt % args}\n")


def make_server(host="0.0.0.0", port=8888):
    return ThreadingHTTPServer((host, port), Handler)


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROGRAM)
    parser.add_argument("--version", action="store_true", help="print the version line and exit")
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args(argv)
    if args.version:
        print(version_line())
        return 0
    server = make_server(port=args.port)
    print(f"{version_line()} listening on :{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
