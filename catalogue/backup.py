"""Database-native backups: `pg_dump`/`pg_restore` on PostgreSQL, SQLite's online backup API.

Both copy everything (the search index included) and restore it exactly.
"""

import os
import sqlite3
import subprocess  # nosec B404
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection

BACKUP_DIRECTORY = Path(__file__).resolve().parent.parent / "var" / "backups"


class BackupError(Exception):
    pass


def default_backup_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "dump" if connection.vendor == "postgresql" else "sqlite3"
    return BACKUP_DIRECTORY / f"catalogue-{stamp}.{suffix}"


def backup_database(*, path: Path) -> Path:
    """Write a backup readable by its owner only (0600): it holds every account's hash."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created empty and private before any data is written, so it is never readable by others.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    path.chmod(0o600)  # a file that already existed keeps its own mode otherwise
    if connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", *_pg_args()])
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        target.close()
    else:
        raise BackupError(f"No backup method for {connection.vendor}.")
    return path


def restore_database(*, path: Path) -> None:
    """Replace the database's contents with the backup's. Refuses a file that is not one."""
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    if connection.vendor == "postgresql":
        connection.close()  # pg_restore --clean drops tables this connection may hold
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *_pg_args(), str(path)])  # fmt: skip
    elif connection.vendor == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.execute("SELECT count(*) FROM django_migrations").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not a backup of this catalogue ({error}).") from error
        connection.ensure_connection()
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        raise BackupError(f"No restore method for {connection.vendor}.")


def _pg_args() -> list[str]:
    settings = connection.settings_dict
    args = [f"--dbname={settings['NAME']}", f"--username={settings['USER'] or 'postgres'}"]
    if settings.get("HOST"):
        args.append(f"--host={settings['HOST']}")
    if settings.get("PORT"):
        args.append(f"--port={settings['PORT']}")
    return args


def _run(command: list[str]) -> None:
    env = {**os.environ}
    if password := connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = password
    # pg_dump/pg_restore with arguments from settings, never a shell.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
