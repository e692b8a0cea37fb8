"""The forbidden-phrase guard (P3): find the phrases the manuals forbid in text the staff write.

API
---
``phrases_check(text) -> list[Hit]``
    Every forbidden phrase (and "five don'ts" pattern) in `text`, in order. A `Hit` has
    `phrase` (as listed), `start`/`end` (positions in the ORIGINAL text, end exclusive, so
    ``text[hit.start:hit.end]`` is exactly what to highlight), `suggestion` (what to say
    instead) and `kind` (a ForbiddenPhrase.Kind value). Pure read; one query per process for
    the list (cached, refreshed when a phrase is saved or deleted, and at most every 5 minutes).

``phrases_guard(text, *, field, actor, override_reason="") -> list[Hit]``
    The gate for customer-facing text. No hits: returns []. Hits and no override: raises
    `PhraseRefused` (an InvalidInput on `field`) naming each phrase and its suggestion. Hits and
    an override reason: a supervisor (StaffProfile role supervisor, office manager or admin)
    gets the hits back, to record with the override; anyone else is refused with an
    InvalidInput on "override_reason". Services record the override with
    ``phrases_override_data(hits, actor=, reason=)`` in their event's data.

``phrases_highlight(text, hits) -> SafeString``
    `text` escaped, each hit wrapped in ``<mark>`` (for the refusal shown under a field).

Matching rules
--------------
Text and phrases are compared after NFKC (full-width ＡＢＣ１２３ and half-width forms are one),
case-folded (Latin letters), with whitespace, punctuation and symbols between characters
ignored ("不 知 道", "不·知·道", "不知道。"). Sentence ends (。．.！!？?；; and line breaks)
are never bridged, so "是我。不知道您…" does not read as "我不知道". A phrase beginning or
ending with a Latin letter or digit only matches whole words. Each phrase may list allowed
expressions that contain it ("听不清楚", "不清楚的地方" for "不清楚"): a hit inside one of them,
written as one expression (nothing between the phrase and the rest), is no hit. A hit inside a
longer hit (“不归我管” inside “这事不归我管”) is dropped.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from scripts_lib.models import ForbiddenPhrase
from tickets.exceptions import InvalidInput

__all__ = [
    "Hit",
    "PhraseRefused",
    "phrases_cache_clear",
    "phrases_check",
    "phrases_guard",
    "phrases_highlight",
    "phrases_hits_data",
    "phrases_override_data",
    "may_override_phrases",
    "normalize_phrase",
]

# Roles that may send a customer a text the guard refused, giving a reason.
OVERRIDE_ROLES = frozenset({"supervisor", "office_manager", "admin"})
OVERRIDE_REASON_MAX = 500
CACHE_SECONDS = 300.0

# Characters that end a sentence (after NFKC): a phrase never spans one.
_BARRIERS = frozenset("。.!?;\n\r\u2028\u2029")
_BREAK = "\n"


@dataclass(frozen=True)
class Hit:
    phrase: str
    start: int
    end: int
    suggestion: str
    kind: str


class PhraseRefused(InvalidInput):
    """Customer-facing text with forbidden phrases; `hits` and `text` let a page highlight them."""

    code = "forbidden_phrase"

    def __init__(self, message: str, *, field: str | None, text: str, hits: list[Hit]):
        super().__init__(message, field=field)
        self.text = text
        self.hits = hits


# --- Normalising ------------------------------------------------------------------------------


def _is_ignorable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PSZC"


def _is_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def normalize_phrase(phrase: str) -> str:
    folded = unicodedata.normalize("NFKC", phrase).casefold()
    return "".join(char for char in folded if char not in _BARRIERS and not _is_ignorable(char))


@dataclass
class _Normalized:
    text: str
    positions: list[int]  # original index of each normalized character
    gap_before: list[bool]  # whether something was skipped just before it


def _normalize_text(text: str) -> _Normalized:
    chars: list[str] = []
    positions: list[int] = []
    gaps: list[bool] = []
    skipped = False
    for index, original in enumerate(text):
        for char in unicodedata.normalize("NFKC", original).casefold():
            if char in _BARRIERS:
                chars.append(_BREAK)
                positions.append(index)
                gaps.append(skipped)
                skipped = True
            elif _is_ignorable(char):
                skipped = True
            else:
                chars.append(char)
                positions.append(index)
                gaps.append(skipped)
                skipped = False
    return _Normalized("".join(chars), positions, gaps)


def _occurrences(haystack: str, needle: str):
    if not needle:
        return
    start = haystack.find(needle)
    while start != -1:
        yield start, start + len(needle)
        start = haystack.find(needle, start + 1)


# --- The list, cached per process ---------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    phrase: str
    needle: str
    suggestion: str
    kind: str
    exceptions: tuple[str, ...]


_cache: tuple[float, list[_Rule]] | None = None


def phrases_cache_clear() -> None:
    """Forget the cached list; the next check reads it again (one query)."""
    global _cache
    _cache = None


def _rules() -> list[_Rule]:
    global _cache
    now = time.monotonic()
    if _cache is not None and now - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    rules = []
    for row in ForbiddenPhrase.objects.filter(is_active=True).values_list("phrase", "suggestion", "kind", "exceptions"):
        phrase, suggestion, kind, exceptions = row
        needle = normalize_phrase(phrase)
        if not needle:
            continue
        allowed = tuple(
            filter(
                None, (normalize_phrase(line) for line in exceptions.splitlines() if needle in normalize_phrase(line))
            )
        )
        rules.append(_Rule(phrase, needle, suggestion, kind, allowed))
    _cache = (now, rules)
    return rules


def _invalidate(**kwargs) -> None:
    phrases_cache_clear()
    transaction.on_commit(phrases_cache_clear)  # and again once the change is visible to everyone


post_save.connect(_invalidate, sender=ForbiddenPhrase, dispatch_uid="scripts_lib.guard.saved")
post_delete.connect(_invalidate, sender=ForbiddenPhrase, dispatch_uid="scripts_lib.guard.deleted")


# --- Checking ---------------------------------------------------------------------------------


def _whole_word(norm: _Normalized, start: int, end: int, needle: str) -> bool:
    """A phrase starting or ending with a Latin letter or digit matches whole words only."""

    def joined(index: int) -> bool:  # normalized chars index-1 and index are one word
        return 0 < index < len(norm.text) and not norm.gap_before[index] and _is_word(norm.text[index - 1])

    starts_inside = _is_word(needle[0]) and joined(start)
    ends_inside = _is_word(needle[-1]) and end < len(norm.text) and _is_word(norm.text[end]) and joined(end)
    return not (starts_inside or ends_inside)


def _excuses(norm: _Normalized, a_start: int, a_end: int, start: int, end: int) -> bool:
    """Whether the allowed expression at [a_start, a_end) covers the hit at [start, end): it must
    contain it and be written as one expression: whitespace or punctuation only inside the
    phrase's own characters ("不知道，您去别处问问" is no “不知道您”)."""
    if not (a_start <= start and end <= a_end):
        return False
    return not any(norm.gap_before[index] for index in range(a_start + 1, a_end) if not start < index < end)


def phrases_check(text: str) -> list[Hit]:
    """The forbidden phrases in `text`, ordered by position (see the module docstring)."""
    if not text:
        return []
    norm = _normalize_text(text)
    found: list[tuple[int, int, _Rule]] = []
    for rule in _rules():
        spans = list(_occurrences(norm.text, rule.needle))
        if not spans:
            continue
        allowed = [span for expression in rule.exceptions for span in _occurrences(norm.text, expression)]
        for start, end in spans:
            if not _whole_word(norm, start, end, rule.needle):
                continue
            if any(_excuses(norm, a_start, a_end, start, end) for a_start, a_end in allowed):
                continue
            found.append((start, end, rule))
    found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
    kept: list[tuple[int, int, _Rule]] = []
    for start, end, rule in found:
        if any(k_start <= start and end <= k_end for k_start, k_end, _rule in kept):
            continue
        kept.append((start, end, rule))
    return [
        Hit(
            phrase=rule.phrase,
            start=norm.positions[start],
            end=norm.positions[end - 1] + 1,
            suggestion=rule.suggestion,
            kind=rule.kind,
        )
        for start, end, rule in kept
    ]


def phrases_highlight(text: str, hits: list[Hit]) -> SafeString:
    """`text` escaped with each hit in <mark>."""
    parts: list[str] = []
    cursor = 0
    for hit in sorted(hits, key=lambda hit: hit.start):
        if hit.start < cursor:
            continue
        parts.append(conditional_escape(text[cursor : hit.start]))
        parts.append(format_html("<mark>{}</mark>", text[hit.start : hit.end]))
        cursor = hit.end
    parts.append(conditional_escape(text[cursor:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def phrases_hits_data(hits: list[Hit]) -> list[dict]:
    """The hits as JSON for an event's data."""
    return [asdict(hit) for hit in hits]


def phrases_override_data(hits: list[Hit], *, actor, reason: str) -> dict:
    """What an event records when a supervisor overrides the guard: who, why, which phrases."""
    return {
        "by": actor.pk,
        "by_name": actor.get_full_name() or actor.get_username(),
        "reason": reason,
        "phrases": sorted({hit.phrase for hit in hits}),
    }


# --- The gate ---------------------------------------------------------------------------------


def may_override_phrases(user) -> bool:
    """Whether `user` may send a text the guard refused (supervisor, office manager, admin)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    profile = getattr(user, "staff", None)
    return getattr(profile, "role", None) in OVERRIDE_ROLES


def _refusal_message(hits: list[Hit]) -> str:
    seen: dict[str, str] = {}
    for hit in hits:
        seen.setdefault(hit.phrase, hit.suggestion)
    parts = [
        _("“%(phrase)s” (say instead: “%(suggestion)s”)") % {"phrase": phrase, "suggestion": suggestion}
        for phrase, suggestion in seen.items()
    ]
    return _("Customers must not be told this (forbidden phrases): %(phrases)s. Rephrase it.") % {
        "phrases": "; ".join(parts)
    }


def phrases_guard(text: str, *, field: str, actor, override_reason: str = "") -> list[Hit]:
    """Refuse customer-facing `text` with forbidden phrases unless a supervisor overrides it
    with a reason; returns the overridden hits ([] for a clean text)."""
    hits = phrases_check(text)
    if not hits:
        return []
    reason = (override_reason or "").strip()
    if not reason:
        raise PhraseRefused(_refusal_message(hits), field=field, text=text, hits=hits)
    if not may_override_phrases(actor):
        raise InvalidInput(
            _("Only a supervisor, office manager or administrator may send a text with forbidden phrases."),
            field="override_reason",
        )
    if len(reason) > OVERRIDE_REASON_MAX:
        raise InvalidInput(
            _("The reason for the override is too long: at most %(max)s characters.") % {"max": OVERRIDE_REASON_MAX},
            field="override_reason",
        )
    return hits
