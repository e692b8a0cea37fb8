"""The forbidden phrases (P3): what staff must never write to a customer, and what to say instead.

Edited in the admin; seeded from the manuals (001 phrase standards and the "five don'ts",
002 telephone etiquette, 004 reception). The checker is scripts_lib.guard.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ForbiddenPhrase"]


class ForbiddenPhrase(models.Model):
    """One phrase the guard looks for, and the alternative the manuals' phrase standards offer."""

    class Kind(models.TextChoices):
        FORBIDDEN = "forbidden", _("Forbidden phrase")
        SELF_ESTEEM = "self_esteem", _("Hurts the customer's self-esteem")
        BLAME = "blame", _("Blames the customer")
        CONTRADICT = "contradict", _("Contradicts the customer")
        VULGAR = "vulgar", _("Vulgar")
        PROVOKE = "provoke", _("Provokes the customer")

    phrase = models.CharField(_("phrase"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FORBIDDEN)
    suggestion = models.CharField(
        _("suggested alternative"), max_length=300, help_text=_("What to say instead, from the phrase standards.")
    )
    exceptions = models.TextField(
        _("allowed expressions"),
        blank=True,
        help_text=_(
            "One per line: longer expressions containing the phrase that are fine (e.g. “听不清楚” for “不清楚”)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("forbidden phrase")
        verbose_name_plural = _("forbidden phrases")
        ordering = ["kind", "phrase"]

    def __str__(self) -> str:
        return self.phrase

    def clean(self) -> None:
        from scripts_lib.guard import normalize_phrase  # the checker's own reading of a phrase

        needle = normalize_phrase(self.phrase)
        if not needle:
            raise ValidationError({"phrase": _("The phrase needs at least one letter or character.")})
        strays = [line for line in self.exception_list if needle not in normalize_phrase(line)]
        if strays:
            raise ValidationError(
                {
                    "exceptions": _("Each allowed expression must contain the phrase; these do not: %(lines)s")
                    % {"lines": "、".join(strays)}
                }
            )

    @property
    def exception_list(self) -> list[str]:
        return [line.strip() for line in self.exceptions.splitlines() if line.strip()]
