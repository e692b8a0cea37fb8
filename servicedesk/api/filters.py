"""Query-parameter filters for the API that keep values no database column can hold out of the
query: such a value is a 400 on its parameter, never an overflow (a 500) in the database."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from servicedesk.api.pagination import MAX_ID


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number from 1 to the largest key a database holds."""

    field_class = IdField


class StorableDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time that is still a date-time in UTC, as the database stores it
    (0001-01-01T00:00+14:00 is not)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return value


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StorableDateTimeField
