"""What the API's serializers share."""

from __future__ import annotations

import copy


class FieldsBuiltOnceMixin:
    """A ModelSerializer builds its fields from the model's on every instance (about 1 ms for a
    ticket); they depend only on the class (Meta and the declared fields), so they are built
    once per class and process, and each instance gets its own unbound copy, as DRF's declared
    fields do."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)
