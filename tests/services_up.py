"""Exit 0 when the PostgreSQL and Redis given by URL both answer, 1 otherwise.

Used by `make test` to decide whether the integration tests can run.
"""

import socket
import sys
from urllib.parse import urlparse


def answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main(database_url: str, redis_url: str) -> int:
    ok = answers(database_url, 5432) and answers(redis_url, 6379)
    if ok:
        import psycopg2
        import redis

        parsed = urlparse(database_url)
        try:
            psycopg2.connect(
                host=parsed.hostname,
                port=parsed.port or 5432,
                user=parsed.username or "postgres",
                password=parsed.password or "",
                dbname="postgres",
                connect_timeout=3,
            ).close()
            redis.Redis.from_url(redis_url, socket_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
            print(f"integration services not usable: {exc}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
