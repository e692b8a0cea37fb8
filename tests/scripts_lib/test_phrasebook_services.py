"""Saving a script: an unknown placeholder or broken braces are refused, nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scripts_lib.models_phrasebook import Script
from scripts_lib.phrasebook import script_save
from tickets.exceptions import InvalidInput

pytestmark = pytest.mark.django_db


def test_a_script_with_known_placeholders_is_saved(supervisor):
    script = script_save(
        actor=supervisor,
        moment="hold",
        channel="phone",
        text_zh="{customer}，请稍等。",
        text_en="One moment, {customer}.",
    )

    assert Script.objects.get(pk=script.pk).text_zh == "{customer}，请稍等。"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{客户}，请稍等。", "Unknown placeholder {客户}"),
        ("{custmer}，请稍等。", "Unknown placeholder {custmer}"),
        ("{}，请稍等。", "Unknown placeholder {}"),
        ("{customer!r}，请稍等。", "Unknown placeholder {customer!r}"),
        ("{customer，请稍等。", "Unbalanced braces"),
        ("customer}，请稍等。", "Unbalanced braces"),
    ],
)
def test_a_broken_placeholder_is_refused_and_nothing_written(supervisor, text, reason):
    before = Script.objects.count()

    with pytest.raises(InvalidInput) as refused:
        script_save(actor=supervisor, moment="hold", text_zh=text, text_en="One moment.")

    assert reason in refused.value.message and refused.value.field == "text_zh"
    assert Script.objects.count() == before


def test_a_change_with_a_broken_english_text_leaves_the_script_as_it_was(supervisor):
    script = Script.objects.get(moment="hold")

    with pytest.raises(InvalidInput) as refused:
        script_save(actor=supervisor, script=script, text_en="Hold on, {name}.")

    assert refused.value.field == "text_en"
    assert Script.objects.get(pk=script.pk).text_en == "One moment please, I will check that for you."


def test_an_unknown_moment_is_refused(supervisor):
    with pytest.raises(InvalidInput) as refused:
        script_save(actor=supervisor, moment="goodbye", text_zh="再见", text_en="Bye")

    assert refused.value.field == "moment"


def test_the_admin_form_refuses_an_unknown_placeholder_and_writes_nothing(admin_client):
    before = Script.objects.count()

    response = admin_client.post(
        reverse("admin:scripts_lib_script_add"),
        {"moment": "hold", "text_zh": "{客户}请稍等", "text_en": "One moment", "priority": 0, "is_active": "on"},
    )

    assert response.status_code == 200
    assert "未知的占位符 {客户}" in response.content.decode()  # the admin speaks Chinese
    assert Script.objects.count() == before


def test_the_admin_saves_a_valid_script_and_lists_scripts_cheaply(admin_client, django_assert_max_num_queries):
    response = admin_client.post(
        reverse("admin:scripts_lib_script_add"),
        {"moment": "hold", "text_zh": "{customer}请稍等", "text_en": "One moment", "priority": 0, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Script.objects.filter(text_zh="{customer}请稍等").exists()

    with django_assert_max_num_queries(8):
        assert admin_client.get(reverse("admin:scripts_lib_script_changelist")).status_code == 200
