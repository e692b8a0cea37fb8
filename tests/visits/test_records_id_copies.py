"""ID copies (V5): kept only with the watermark, never unmarked on disk, seen only by the people
working the ticket."""

from __future__ import annotations

import io
import logging
import os
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories import StaffFactory
from tests.tickets.helpers import T0, new_ticket
from tickets import aftersales
from tickets.exceptions import InvalidInput, NotPermitted
from tickets.models import Notification, StaffProfile, Ticket, TicketEvent
from visits import records
from visits.models_records import IdCopy

BLUE = (40, 90, 160)


def png(size=(800, 500), colour=BLUE, *, noise: bool = False) -> bytes:
    random = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise else None
    image = random or Image.new("RGB", size, colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def upload(data: bytes, name: str = "id.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 150 and r > g + 80 and r > b + 80


def red_share(image: Image.Image, box) -> float:
    region = image.crop(box).convert("RGB")
    pixels = list(region.get_flattened_data())
    return sum(1 for p in pixels if is_red(p)) / len(pixels)


def files_under(root) -> list:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.fixture
def visit(clerk):
    return new_ticket(clerk, kind=Ticket.Kind.VISIT, channel=Ticket.Channel.WALK_IN, subject="办理入伙")


@pytest.fixture
def colleague(front_desk_dept):
    """Another clerk of the visit's department."""
    return StaffFactory(user__username="colleague", user__first_name="小李", department=front_desk_dept).user


def url(ticket: Ticket) -> str:
    return reverse("visits:id_copies", kwargs={"reference": ticket.reference})


def image_url(copy: IdCopy) -> str:
    return reverse("visits:id_copy_image", kwargs={"reference": copy.ticket.reference, "pk": copy.pk})


def nothing_written(ticket: Ticket, media) -> None:
    assert IdCopy.objects.count() == 0
    assert not TicketEvent.objects.filter(ticket=ticket, type=TicketEvent.Type.ID_COPY_STORED).exists()
    assert files_under(media) == []


# --- The watermark -----------------------------------------------------------------------------


def test_the_stored_copy_carries_the_watermark_and_its_purpose(visit, clerk, media):
    original = png()

    copy = records.id_copy_store(ticket=visit, actor=clerk, upload=upload(original), purpose="办理入伙", now=T0)

    assert copy.watermark_text == "仅供办理入伙使用 2026-03-02"
    assert copy.purpose == "办理入伙"
    stored = Image.open(copy.image.path)
    assert stored.format == "JPEG"
    assert stored.size == (800, 500)
    top, bottom = records.watermark_band(500)
    # The band across the middle is stamped in red letters on white; the original had none.
    assert red_share(Image.open(io.BytesIO(original)), (0, top, 800, bottom)) == 0
    assert red_share(stored, (0, top, 800, bottom)) > 0.03
    band = stored.crop((0, top, 800, bottom)).convert("L")
    assert max(band.get_flattened_data()) > 230  # the white band, where the original is a dark blue
    # The stamp runs across the width, not in one corner.
    assert red_share(stored, (0, top, 200, bottom)) > 0.005
    assert red_share(stored, (600, top, 800, bottom)) > 0.005
    # Outside the band the diagonal repeats tint the picture too.
    corner = stored.crop((0, 0, 800, top - 5)).convert("RGB")
    assert any(abs(p[0] - BLUE[0]) > 25 for p in corner.get_flattened_data())
    event = TicketEvent.objects.get(ticket=visit, type=TicketEvent.Type.ID_COPY_STORED)
    assert event.data["watermark"] == "仅供办理入伙使用 2026-03-02"
    assert event.data["purpose"] == "办理入伙"
    assert event.actor == clerk
    assert files_under(media) == [copy.image.name]


def test_the_date_is_the_day_in_shanghai(visit, clerk, media):
    late_evening_utc = T0.replace(hour=23, minute=30)  # 2026-03-02 23:30 in Shanghai

    copy = records.id_copy_store(
        ticket=visit, actor=clerk, upload=upload(png()), purpose="装修申请", now=late_evening_utc
    )

    assert copy.watermark_text == f"仅供装修申请使用 {date(2026, 3, 2):%Y-%m-%d}"


def test_a_cjk_font_is_used_when_installed():
    assert records.watermark_font_path() is not None
    assert "CJK" in records.watermark_font_path() or "wqy" in records.watermark_font_path()


def test_without_a_cjk_font_the_default_font_stamps_it_and_a_warning_says_so(visit, clerk, media, monkeypatch, caplog):
    def no_fontconfig(*args, **kwargs):
        raise FileNotFoundError("fc-match")

    records.watermark_font_path.cache_clear()
    monkeypatch.setattr(records.subprocess, "run", no_fontconfig)
    monkeypatch.setattr(records, "FONT_CANDIDATES", ())
    try:
        with caplog.at_level(logging.WARNING, logger="visits.records"):
            copy = records.id_copy_store(ticket=visit, actor=clerk, upload=upload(png()), purpose="办理入伙", now=T0)
        assert "No CJK font found" in caplog.text
        top, bottom = records.watermark_band(500)
        assert red_share(Image.open(copy.image.path), (0, top, 800, bottom)) > 0.01
    finally:
        records.watermark_font_path.cache_clear()


def test_a_tall_photo_is_turned_upright_from_its_exif_and_scaled_down(visit, clerk, media):
    image = Image.new("RGB", (3000, 2000), BLUE)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)

    copy = records.id_copy_store(
        ticket=visit, actor=clerk, upload=upload(out.getvalue(), "photo.jpg", "image/jpeg"), purpose="办理入伙", now=T0
    )

    assert (copy.width, copy.height) == (1600, 2400)


# --- Refusals: nothing written --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4 not a picture", "id.jpg", "is not a picture we can read"),
        (b"", "empty.png", "is empty"),
        (None, "gif", "is not a picture we can read"),
        (b"\x89PNG\r\n\x1a\n broken", "broken.png", "is not a picture we can read"),
    ],
    ids=["text named .jpg", "empty", "gif", "truncated png"],
)
def test_what_is_not_a_picture_is_refused(visit, clerk, media, data, name, message):
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (40, 40), BLUE).save(out, format="GIF")
        data, name = out.getvalue(), "id.gif"

    with pytest.raises(InvalidInput, match=message) as refused:
        records.id_copy_store(ticket=visit, actor=clerk, upload=upload(data, name), purpose="办理入伙", now=T0)

    assert refused.value.field == "file"
    nothing_written(visit, media)


def test_a_file_over_the_limit_is_refused(visit, clerk, media, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "ID_COPY_MAX_BYTES": 10_000}

    with pytest.raises(InvalidInput, match="the largest ID copy accepted is"):
        records.id_copy_store(
            ticket=visit, actor=clerk, upload=upload(png(noise=True, size=(100, 100))), purpose="办理入伙", now=T0
        )

    nothing_written(visit, media)


@pytest.mark.parametrize("purpose", ["", "   ", "很" * 31])
def test_the_purpose_is_required_and_short(visit, clerk, media, purpose):
    with pytest.raises(InvalidInput) as refused:
        records.id_copy_store(ticket=visit, actor=clerk, upload=upload(png()), purpose=purpose, now=T0)

    assert refused.value.field == "purpose"
    nothing_written(visit, media)


def test_someone_not_working_the_ticket_may_not_store_a_copy(visit, engineer, media):
    with pytest.raises(NotPermitted):
        records.id_copy_store(ticket=visit, actor=engineer, upload=upload(png()), purpose="办理入伙", now=T0)

    nothing_written(visit, media)


def test_an_upload_spooled_to_disk_is_never_accepted(visit, clerk, media):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    spooled = TemporaryUploadedFile("id.png", "image/png", 10, None)
    try:
        with pytest.raises(RuntimeError, match="into memory"):
            records.id_copy_store(ticket=visit, actor=clerk, upload=spooled, purpose="办理入伙", now=T0)
    finally:
        spooled.close()
    nothing_written(visit, media)


# --- The upload page: in memory only ---------------------------------------------------------------


@pytest.fixture
def no_temp_dir(settings, tmp_path):
    """Uploads over 1 KB would be spooled to FILE_UPLOAD_TEMP_DIR, which does not exist: any
    attempt to write an upload to disk fails the request."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "no-such-dir")
    return tmp_path / "no-such-dir"


def test_the_ordinary_attachment_upload_would_spool_to_disk(visit, clerk, login, media, no_temp_dir):
    """The control for the next test: with these settings a big upload goes to a temp file."""
    client = login(clerk)
    with pytest.raises(FileNotFoundError):
        client.post(
            reverse("desk:ticket_attach", kwargs={"reference": visit.reference}),
            {"file": upload(png(noise=True, size=(400, 400))), "note": ""},
        )


def test_a_big_upload_stays_in_memory_and_only_the_watermarked_copy_is_written(visit, clerk, login, media, no_temp_dir):
    original = png(noise=True, size=(900, 700))
    assert len(original) > 1_000_000

    response = login(clerk).post(url(visit), {"purpose": "办理入伙", "file": upload(original)})

    assert response.status_code == 302
    copy = IdCopy.objects.get()
    assert files_under(media) == [copy.image.name]
    assert copy.image.read() != original
    assert not no_temp_dir.exists()
    top, bottom = records.watermark_band(700)
    assert red_share(Image.open(copy.image.path), (0, top, 900, bottom)) > 0.01


def test_the_page_refuses_a_file_over_the_limit_without_reading_it_into_the_store(
    visit, clerk, login, media, no_temp_dir, settings
):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "ID_COPY_MAX_BYTES": 50_000}

    response = login(clerk).post(url(visit), {"purpose": "办理入伙", "file": upload(png(noise=True), "big.png")})

    assert response.status_code == 400
    assert "“big.png” is larger than 48.8\xa0KB, the largest ID copy accepted." in response.content.decode()
    nothing_written(visit, media)


def test_the_page_refuses_a_non_image_with_a_message(visit, clerk, login, media):
    response = login(clerk).post(
        url(visit), {"purpose": "办理入伙", "file": upload(b"hello", "notes.txt", "text/plain")}
    )

    assert response.status_code == 400
    assert "“notes.txt” is not a picture we can read" in response.content.decode()
    nothing_written(visit, media)


def test_the_page_needs_a_purpose(visit, clerk, login, media):
    response = login(clerk).post(url(visit), {"purpose": "", "file": upload(png())})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    nothing_written(visit, media)


def test_the_upload_checks_the_csrf_token(visit, clerk, media):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)

    response = client.post(url(visit), {"purpose": "办理入伙", "file": upload(png())})

    assert response.status_code == 403
    nothing_written(visit, media)


def test_the_page_lists_the_copies_with_thumbnails_in_chinese(visit, clerk, media):
    from django.test import Client

    records.id_copy_store(ticket=visit, actor=clerk, upload=upload(png()), purpose="办理入伙", now=T0)
    client = Client()
    client.force_login(clerk)

    page = client.get(url(visit)).content.decode()

    copy = IdCopy.objects.get()
    assert f'src="{image_url(copy)}?size=thumb"' in page
    assert "仅供办理入伙使用 2026-03-02" in page
    assert "/media/" not in page


# --- Who may see them ------------------------------------------------------------------------------


@pytest.fixture
def stored(visit, clerk, media) -> IdCopy:
    return records.id_copy_store(ticket=visit, actor=clerk, upload=upload(png()), purpose="办理入伙", now=T0)


@pytest.mark.parametrize("who", ["clerk", "colleague", "supervisor", "assignee", "office_manager"])
def test_people_working_the_ticket_see_the_copies(stored, who, request, login, engineer):
    if who == "assignee":
        from tickets import services

        services.ticket_hand_off(ticket=stored.ticket, actor=request.getfixturevalue("clerk"), to_user=engineer, now=T0)
        user = engineer
    elif who == "office_manager":
        user = StaffFactory(role=StaffProfile.Role.OFFICE_MANAGER).user
    else:
        user = request.getfixturevalue(who)
    client = login(user)

    assert client.get(url(stored.ticket)).status_code == 200
    full = client.get(image_url(stored))
    thumb = client.get(image_url(stored) + "?size=thumb")

    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    assert full["Cache-Control"] == "private, no-store"
    assert b"".join(full.streaming_content) == stored.image.open("rb").read()
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320


@pytest.mark.parametrize("who", ["engineer", "outsider", "finance"])
def test_others_get_a_404(stored, who, request, login, clerk, finance_user):
    visit = stored.ticket
    if who == "finance":
        # Finance sees the ticket once it has a bill, but not the ID copies on it.
        aftersales.bill_issue(ticket=visit, actor=clerk, amount="100", payment_due=date(2026, 3, 9), now=T0)
        user = finance_user
        assert login(user).get(reverse("desk:ticket_detail", kwargs={"reference": visit.reference})).status_code == 200
    else:
        user = request.getfixturevalue(who)
    client = login(user)

    assert client.get(url(visit)).status_code == 404
    assert client.get(image_url(stored)).status_code == 404
    assert client.get(image_url(stored) + "?size=thumb").status_code == 404
    response = client.post(url(visit), {"purpose": "办理入伙", "file": upload(png())})
    assert response.status_code == 404
    assert IdCopy.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(stored, client):
    response = client.get(image_url(stored))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_copy_of_another_ticket_is_not_served_under_this_one(stored, clerk, login):
    other = new_ticket(clerk, kind=Ticket.Kind.VISIT, channel=Ticket.Channel.WALK_IN, subject="另一访客")
    wrong = reverse("visits:id_copy_image", kwargs={"reference": other.reference, "pk": stored.pk})

    assert login(clerk).get(wrong).status_code == 404


def test_the_list_has_a_fixed_query_budget(visit, clerk, login, media, django_assert_max_num_queries):
    client = login(clerk)
    records.id_copy_store(ticket=visit, actor=clerk, upload=upload(png((200, 120))), purpose="办理入伙", now=T0)
    with django_assert_max_num_queries(6) as few:
        assert client.get(url(visit)).status_code == 200
    for _ in range(5):
        records.id_copy_store(ticket=visit, actor=clerk, upload=upload(png((200, 120))), purpose="办理入伙", now=T0)
    with django_assert_max_num_queries(6) as many:
        assert client.get(url(visit)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Notification.objects.count() == 0
