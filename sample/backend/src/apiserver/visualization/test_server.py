import http.client
import os
import platform
import subprocess
import sys
import threading
import urllib.parse

import pytest

import server


@pytest.fixture()
def address():
    httpd = server.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address
    httpd.shutdown()
    httpd.server_close()


def request(address, method, body=None):
    conn = http.client.HTTPConnection(*address, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    conn.request(method, "/", body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read().decode()


def test_get_is_alive(address):
    assert request(address, "GET") == (200, "alive\n")


def test_post_renders_table(address):
    status, body = request(address, "POST", urllib.parse.urlencode({"type": "table", "source": "a,b\n1,2\n"}))
    assert status == 200
    assert "<td>1</td><td>2</td>" in body


def test_post_unknown_type_is_400(address):
    status, body = request(address, "POST", urllib.parse.urlencode({"type": "tfdv", "source": "a\n"}))
    assert status == 400
    assert "unsupported visualization type" in body


def test_version_line():
    env = dict(os.environ, TAG_NAME="2.17.0", COMMIT_SHA="abc")
    out = subprocess.run([sys.executable, server.__file__, "--version"], env=env,
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert len(lines) == 1
    want_arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    assert lines[0] == f"kfp-visualization-server version=2.17.0 commit=abc arch={want_arch}"
