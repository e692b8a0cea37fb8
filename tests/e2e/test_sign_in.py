from tests.e2e.conftest import sign_in


def test_sign_in_lands_on_my_desk_in_chinese(page, clerk, screenshot):
    page.goto("/")
    assert "/login/" in page.url  # every page requires sign-in
    screenshot(page, "01-login")

    sign_in(page, "clerk")

    page.wait_for_url("**/")
    assert page.get_by_role("link", name="工作台").is_visible()
    assert "小王" in page.locator(".whoami").inner_text()
    screenshot(page, "02-my-desk")


def test_wrong_password_is_refused_with_a_clear_message(page, clerk):
    sign_in(page, "clerk", password="wrong")
    assert "/login/" in page.url
    assert page.get_by_role("alert").is_visible()


def test_language_switch_turns_the_page_english(page, clerk):
    sign_in(page, "clerk")
    page.wait_for_url("**/")
    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    assert page.get_by_role("link", name="My desk").is_visible()
