"""A stand-in for nginx and uWSGI in the wait_ratio tests: each GET waits on "I/O", then computes.

    python slow_app.py WAIT_SECONDS [REQUIRED_HOST]

prints the port it listens on (127.0.0.1) and serves until terminated; with REQUIRED_HOST, a
request with another Host header answers 400. `running()` starts it as a child process.
"""

import contextlib
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMPUTE_SECONDS = 0.0005


@contextlib.contextmanager
def running(wait, host=None):
    """Run the app in a child process; yield (its pid, its port)."""
    argv = [sys.executable, __file__, str(wait)] + ([host] if host else [])
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        yield child.pid, int(child.stdout.readline())
    finally:
        child.terminate()
        child.wait(10)


def serve(wait, host):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True             # headers and body are two writes

        def do_GET(self):
            time.sleep(wait)                       # waits on "I/O"
            end = time.thread_time() + COMPUTE_SECONDS
            while time.thread_time() < end:
                pass
            status = 200 if host is None or self.headers.get("Host") == host else 400
            self.send_response(status)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass                                   # clients closing at the end of a run

    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(float(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
