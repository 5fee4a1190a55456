#!/usr/bin/python3
"""Peak RSS of attestd holding N idle keep-alive TLS connections (issue 10: < 64 MB at 1,000).

Starts a fresh attestd on its embedded defaults, opens N TLS connections, sends one GET /healthz
on each (so every connection has finished its handshake and HTTP exchange and sits in the
keep-alive wait with its buffers allocated), holds them all open, and reads VmRSS and VmHWM from
/proc. Prints one line per figure. A measurement, not a test: never run under ctest.

usage: bench/idle_connections.py [--attestd build/verifier/attestd] [--connections 1000]
"""
import argparse
import http.client
import resource
import ssl
import subprocess
import tempfile
import time
from pathlib import Path


def status_kib(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {key} in /proc/{pid}/status")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attestd", default=str(Path(__file__).resolve().parents[1] / "build/verifier/attestd"))
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.connections + 256)), hard))

    with tempfile.TemporaryDirectory(prefix="idle-") as tmp:
        data = Path(tmp) / "data"
        proc = subprocess.Popen([args.attestd, "--data-dir", str(data), "--listen", "127.0.0.1:0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            banner = proc.stdout.readline()
            if "listening on https://" not in banner:
                raise SystemExit(f"attestd did not start: {banner!r}")
            port = int((data / "attestd.port").read_text())
            ctx = ssl.create_default_context(cafile=str(data / "tls" / "server.crt"))

            def one_request(conn):
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    raise SystemExit(f"/healthz answered {r.status}")

            warm = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
            one_request(warm)
            warm.close()
            time.sleep(0.5)
            base_rss = status_kib(proc.pid, "VmRSS")

            conns = []
            start = time.monotonic()
            for _ in range(args.connections):
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
                one_request(c)
                conns.append(c)
            opened_s = time.monotonic() - start
            time.sleep(1.0)
            # Every connection must still be open and served: one more request on each.
            for c in conns:
                one_request(c)
            rss = status_kib(proc.pid, "VmRSS")
            hwm = status_kib(proc.pid, "VmHWM")
            for c in conns:
                c.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    n = args.connections
    print(f"connections                 {n} (opened and served in {opened_s:.1f} s)")
    print(f"RSS idle, no connections    {base_rss / 1024:.1f} MiB")
    print(f"RSS with {n} idle           {rss / 1024:.1f} MiB")
    print(f"peak RSS (VmHWM)            {hwm / 1024:.1f} MiB  (target < 64 MB)")
    print(f"per connection              {(rss - base_rss) / n:.1f} KiB")


if __name__ == "__main__":
    main()
