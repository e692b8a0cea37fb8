"""The visits app in the Django admin: each part registers its own models."""

from visits import admin_messages, admin_records, admin_release, admin_renovation, admin_visits  # noqa: F401
