"""The complaints app in the Django admin: each part registers its own models."""

from complaints import admin_complaints, admin_evaluations, admin_stats  # noqa: F401
