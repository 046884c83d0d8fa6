"""Helpers shared by the test modules (importable because pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import pickle
import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def random_key() -> str:
    """A key in the real format that no server knows: `hopx_live_<12>.<32>`."""
    key_id = "".join(secrets.choice(_ALNUM) for _ in range(12))
    secret = "".join(secrets.choice(_ALNUM) for _ in range(32))
    return f"hopx_live_{key_id}.{secret}"


def secret_of(key: str) -> str:
    """The part after the dot."""
    return key.split(".", 1)[1]


def error_texts(error: BaseException) -> dict:
    """Everything a user, a log or a crash reporter could see of an error, by place."""
    places = {
        "str": str(error),
        "repr": repr(error),
        "args": repr(error.args),
    }
    for name, value in vars(error).items():
        places[f"attribute {name}"] = repr(value)
    places["pickle"] = pickle.dumps(error).decode("utf-8", errors="replace")
    return places


def assert_secret_absent(error: BaseException, secret: str) -> None:
    """The secret appears nowhere in str, repr, args, attributes (by repr) or pickled bytes."""
    assert secret, "empty secret: nothing to check"
    for where, text in error_texts(error).items():
        assert secret not in text, f"the secret appears in the error's {where}"
        assert repr(secret)[1:-1] not in text, f"the secret (escaped) appears in the error's {where}"
    assert secret.encode("utf-8") not in pickle.dumps(error), "the secret is in the pickled error"


class Recorded:
    """One request a `LoopbackServer` received."""

    def __init__(self, method: str, path: str, headers: dict, body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers  # lower-cased names
        self.body = body

    def __repr__(self) -> str:  # never the headers (they carry the key)
        return f"<Recorded {self.method} {self.path}>"


class LoopbackServer:
    """A tiny HTTP server on 127.0.0.1 in a thread of this process. `respond(request)` returns
    `(status, headers, body)` (a dict or list body is sent as JSON), or None to close the
    connection without answering; every request is kept in `requests`. Use as a context
    manager: it stops (and joins its thread) on exit."""

    def __init__(self, respond) -> None:
        import http.server
        import threading

        self._lock = threading.Lock()
        self._requests: list = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with outer._lock:
                    outer._requests.append(request)
                answer = respond(request)
                if answer is None:  # drop the connection, as a crashed server would
                    self.close_connection = True
                    return
                status, headers, payload = answer
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                    headers = {"Content-Type": "application/json", **headers}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def requests(self) -> list:
        with self._lock:
            return list(self._requests)

    def __enter__(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def __repr__(self) -> str:
        return f"<LoopbackServer {self.url}>"


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers; `closed` is set when the client
    closes the connection it opened (that is, when the SDK gave up on the request)."""

    def __init__(self) -> None:
        import socket
        import threading

        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.url = "http://127.0.0.1:%d" % self._listener.getsockname()[1]
        self.accepted = threading.Event()
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._listener.settimeout(20)
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return
        self.accepted.set()
        connection.settimeout(20)
        try:
            while connection.recv(4096):  # bounded by the 20 s timeout and by EOF
                pass
            self.closed.set()
        except OSError:
            pass
        finally:
            connection.close()

    def __enter__(self) -> "SilentServer":
        return self

    def __exit__(self, *exc) -> None:
        self._listener.close()
        self._thread.join(timeout=25)
