#!/usr/bin/env python3
"""A minimal language server for the plugin's tests: it answers `initialize`, publishes
one diagnostic for every opened document and exits on `exit`. It stands in for `fgc lsp`
so that the client side is tested whether or not fgc has its language server yet.

Run as `fake-lsp.py lsp` (the plugin appends `lsp` to a string `cmd`)."""

import json
import sys


def read():
    headers = {}
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            return None
        line = line.decode("ascii").strip()
        if not line:
            break
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return json.loads(sys.stdin.buffer.read(int(headers["content-length"])))


def send(message):
    body = json.dumps(dict(jsonrpc="2.0", **message)).encode()
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    sys.stdout.buffer.flush()


def main():
    if sys.argv[1:] != ["lsp"]:
        sys.stderr.write("usage: fake-lsp.py lsp\n")
        return 2
    while True:
        msg = read()
        if msg is None:
            return 0
        method = msg.get("method")
        if method == "initialize":
            root = msg["params"].get("rootUri")
            send({"id": msg["id"], "result": {
                "capabilities": {"textDocumentSync": 1},
                "serverInfo": {"name": "fake-fgc", "version": root or ""},
            }})
        elif method == "textDocument/didOpen":
            doc = msg["params"]["textDocument"]
            send({"method": "textDocument/publishDiagnostics", "params": {
                "uri": doc["uri"],
                "diagnostics": [{
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 2}},
                    "severity": 2, "code": "FG9999", "source": "fake-fgc",
                    "message": "fake diagnostic from the test server",
                }],
            }})
        elif method == "shutdown":
            send({"id": msg["id"], "result": None})
        elif method == "exit":
            return 0
        elif "id" in msg and method is not None:
            send({"id": msg["id"], "error": {"code": -32601, "message": "not implemented: " + method}})


if __name__ == "__main__":
    sys.exit(main())
