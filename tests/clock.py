from datetime import datetime

from tickets.sla import SHANGHAI


def at(text: str) -> datetime:
    """An Asia/Shanghai wall-clock time, e.g. at("2026-03-02 09:00")."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
