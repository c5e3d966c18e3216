"""A throw-away PostgreSQL cluster for the tests and benchmarks: nothing depends on a server the
machine happens to run.

The cluster lives in a temporary directory: its data directory, and the Unix socket it listens on
(no TCP port). `fsync` and `synchronous_commit` are on, as a live session demands. `initdb`
refuses to run as root, so under root the server runs as an unprivileged user (`postgres` when the
Debian package made one, else `nobody`) who owns the directory. Local connections are trusted:
the socket's directory is reachable by this machine's root and that user only.

    python tools/pg_cluster.py start [DIR]   # prints DIR and the server's URL
    python tools/pg_cluster.py stop DIR

The server binaries come from Debian's `postgresql` package (`make pg-server` installs it when
missing); `PG_BINDIR` names another directory of them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DATABASE = "weatherman"


class ClusterError(RuntimeError):
    """The cluster could not be made, started or stopped; the message says which step."""


def bindir() -> Path:
    """The directory of `initdb`, `postgres` and `pg_ctl`."""
    if "PG_BINDIR" in os.environ:
        return Path(os.environ["PG_BINDIR"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError(
        "no PostgreSQL server binaries (initdb): run `make pg-server` "
        "(Debian's postgresql package), or set PG_BINDIR"
    )


def _version(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0


@dataclass(frozen=True)
class Cluster:
    """A running cluster: where it lives and how to reach it."""

    root: Path
    user: str
    port: int | None = None
    """The TCP port on 127.0.0.1 of a TLS cluster (None: the Unix socket only)."""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str = DATABASE) -> str:
        """A libpq URL of `database` over the cluster's Unix socket."""
        port = "" if self.port is None else f"&port={self.port}"
        return f"postgresql://{self.user}@/{database}?host={self.socket_dir}{port}"

    @property
    def certificate(self) -> Path:
        """The server's self-signed certificate (a TLS cluster's), to verify it by."""
        return self.root / "server.crt"

    def tcp_url(self, sslmode: str, database: str = DATABASE) -> str:
        """A libpq URL of `database` over TCP (a TLS cluster's), with this `sslmode` and the
        server's certificate as the root to verify it by."""
        return (
            f"postgresql://{self.user}@localhost:{self.port}/{database}"
            f"?sslmode={sslmode}&sslrootcert={self.certificate}"
        )


def _owner() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as under root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterError("running as root, and neither a postgres nor a nobody user exists")


def _run(args: list[str], owner: pwd.struct_passwd | None, what: str) -> None:
    def drop() -> None:
        if owner is not None:
            os.setgid(owner.pw_gid)
            os.setuid(owner.pw_uid)

    done = subprocess.run(
        args, preexec_fn=drop, capture_output=True, text=True, check=False, cwd="/"
    )
    if done.returncode != 0:
        raise ClusterError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def start(root: Path | None = None, *, tls: bool = False) -> Cluster:
    """Create and start a cluster under `root` (a new directory in the system's temporary
    directory if None; else one that does not exist or is empty, whose parent the server's
    user can reach), with a database `weatherman`, and wait until it accepts connections.

    `tls`: also listen on a free TCP port of 127.0.0.1, where only TLS connections are accepted,
    with a self-signed certificate for `localhost` (made by `openssl`)."""
    owner = _owner()
    binaries = bindir()
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="weatherman-pg-"))
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise ClusterError(f"{root} is not empty")
    (root / "socket").mkdir()
    user = owner.pw_name if owner is not None else pwd.getpwuid(os.geteuid()).pw_name
    if owner is not None:
        for path in (root, root / "socket"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    os.chmod(root, 0o700)
    cluster = Cluster(root, user, _free_port() if tls else None)
    _run(
        [
            str(binaries / "initdb"),
            "-D",
            str(cluster.data),
            "--auth=trust",
            "--username",
            user,
            "--encoding=UTF8",
            "--no-instructions",
        ],
        owner,
        "initdb",
    )
    settings = {
        "listen_addresses": "''",
        "unix_socket_directories": f"'{cluster.socket_dir}'",
        "fsync": "on",
        "synchronous_commit": "on",
        "full_page_writes": "on",
        "max_connections": "100",
        "shared_buffers": "64MB",
    }
    if tls:
        _certificate(cluster, owner)
        settings["listen_addresses"] = "'127.0.0.1'"
        settings["port"] = str(cluster.port)
        settings["ssl"] = "on"
        settings["ssl_cert_file"] = f"'{cluster.certificate}'"
        settings["ssl_key_file"] = f"'{cluster.root / 'server.key'}'"
        (cluster.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 trust\n"
            "hostnossl all all 127.0.0.1/32 reject\n"
        )
    with open(cluster.data / "postgresql.conf", "a") as conf:
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
    _start_server(cluster, owner, "starting the server")
    _run(
        [
            str(binaries / "createdb"),
            "-h",
            str(cluster.socket_dir),
            "-p",
            str(cluster.port or 5432),
            "-U",
            user,
            DATABASE,
        ],
        owner,
        "createdb",
    )
    return cluster


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _certificate(cluster: Cluster, owner: pwd.struct_passwd | None) -> None:
    """A self-signed certificate and key for `localhost`, readable by the server only."""
    key = cluster.root / "server.key"
    done = subprocess.run(
        ["openssl", "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cluster.certificate)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ClusterError(f"openssl failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    os.chmod(key, 0o600)
    if owner is not None:
        for path in (key, cluster.certificate):
            os.chown(path, owner.pw_uid, owner.pw_gid)


def stop(root: Path, *, mode: str = "fast") -> None:
    """Stop the cluster under `root` (`mode`: smart, fast or immediate) and remove it."""
    owner = _owner()
    if (root / "data" / "postmaster.pid").exists():
        _run(
            [str(bindir() / "pg_ctl"), "-D", str(root / "data"), "-m", mode, "-w", "stop"],
            owner,
            "stopping the server",
        )
    shutil.rmtree(root, ignore_errors=True)


def _start_server(cluster: Cluster, owner: pwd.struct_passwd | None, what: str) -> None:
    """`pg_ctl start` on the cluster's data directory, waiting until it accepts connections."""
    _run(
        [
            str(bindir() / "pg_ctl"),
            "-D",
            str(cluster.data),
            "-l",
            str(cluster.data / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        owner,
        what,
    )


def restart(cluster: Cluster, *, timeout: float = 60.0) -> None:
    """Start again a cluster whose server stopped (or was killed), and wait for it.

    After a SIGKILL of the postmaster its backends linger until they notice, holding the shared
    memory, and the server refuses to start over them: it is tried again until they are gone.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            _start_server(cluster, _owner(), "restarting the server")
            return
        except ClusterError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def server_pid(cluster: Cluster) -> int:
    """The postmaster's process id."""
    return int((cluster.data / "postmaster.pid").read_text().splitlines()[0])


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2 or argv[0] not in ("start", "stop") or argv == ["stop"]:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve() if len(argv) == 2 else None
    try:
        if argv[0] == "start":
            started = time.monotonic()
            cluster = start(root)
            print(cluster.root)
            print(cluster.url())
            print(f"started in {time.monotonic() - started:.1f} s", file=sys.stderr)
        else:
            assert root is not None
            stop(root)
    except ClusterError as exc:
        print(f"pg_cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
