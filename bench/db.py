"""Drop and create the benchmark's database:

    python -m bench.db recreate postgres://postgres@127.0.0.1:5432/servicedesk_bench

Connects to the server's `postgres` database with the same credentials. Refuses a database whose
name does not contain "bench" (BENCH_FORCE=1 to insist): this deletes everything in it.
The new database gets the server settings docs/deploy.md recommends (SERVER_SETTINGS), so the
benchmark measures the deployment it describes, whatever this server's own defaults.
"""

from __future__ import annotations

import os
import sys

import dj_database_url
import psycopg2
from psycopg2 import sql

# docs/performance.md, "PostgreSQL settings": SSD storage, and sorts of a year's figures in memory.
SERVER_SETTINGS = {"random_page_cost": "1.1", "work_mem": "32MB"}


def recreate(url: str) -> str:
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"{url}: the benchmark needs a postgres:// URL")
    name = config["NAME"]
    if "bench" not in name and os.environ.get("BENCH_FORCE") != "1":
        raise SystemExit(
            f"Refusing to drop database {name!r}: its name does not contain 'bench' (set BENCH_FORCE=1 to insist)."
        )
    connection = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        for setting, value in SERVER_SETTINGS.items():
            cursor.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(name), sql.Identifier(setting), sql.Literal(value)
                )
            )
    connection.close()
    return name


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "recreate":
        print(__doc__, file=sys.stderr)
        return 2
    print(f"Database {recreate(argv[2])} recreated (empty).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
