"""The policy in the languages of the school's families (issue 16), in Chromium: the kiosk's
picker, Urdu laid out right to left with nothing cut off or scrolling sideways, a phone in its
own language, and the acceptance recording the language shown."""

from __future__ import annotations

import re

from babel.support import Translations
from playwright.sync_api import expect

from kiosk import policy_translations
from kiosk.models import Acceptance, PolicyVersion
from tests.test_i18n import TRANSLATIONS

from .conftest import PHONE, TABLET, each_size

URDU = Translations.load(str(TRANSLATIONS), ["ur"])
POLISH = Translations.load(str(TRANSLATIONS), ["pl"])

URDU_POLICY = {
    "title": "سوشل میڈیا اور موبائل فون کی پالیسی",
    "key_points": "بچوں کے قریب فون دور رکھیں۔\nشاگردوں کی تصاویر نہ لیں۔\nفکر ہو تو DSL سے بات کریں۔",
    "body": "## تعارف\n\nیہ پالیسی اسکول کے تمام مہمانوں، والدین اور عملے پر لاگو ہوتی ہے۔\n",
}

# Anything wider than the viewport, or starting left of it, that a person would have to scroll
# to (the skip links are off screen on purpose until focused).
CUT_OFF = """() => [...document.querySelectorAll('body *')].filter((el) => {
  if (el.closest('.skip-link, .visually-hidden, [hidden]')) return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1);
}).map((el) => el.tagName + '.' + el.className).slice(0, 5)"""


def text_right_edge(page, selector: str) -> tuple[float, float]:
    """Where the words of the first match start and end on screen (not its box)."""
    return page.eval_on_selector(selector, """(el) => {
      const range = document.createRange(); range.selectNodeContents(el);
      const r = range.getBoundingClientRect(); return [r.left, r.right];
    }""")


def test_the_kiosk_in_urdu_reads_right_to_left_and_records_the_language(
        live_server, new_context, assert_accessible):
    with live_server.database():
        version = PolicyVersion.current()
        translation = policy_translations.save(version, "ur", english_applies=True,
                                               by="Ann Smith", **URDU_POLICY)
    page = new_context(**TABLET).new_page()
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="اردو").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    welcome = URDU.gettext("Welcome to %(school)s") % {"school": "Westacre Infant School"}
    expect(page.get_by_role("heading", level=1)).to_have_text(welcome)
    assert_accessible(page)

    page.get_by_role("link", name=URDU.gettext("Read and accept the policy")).click()
    expect(page).to_have_url(re.compile(r"/policy\?channel=kiosk&lang=ur$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(URDU_POLICY["title"])
    expect(page.locator(".translation-note")).to_contain_text(
        URDU.gettext("This is a translation. The English version is the one that applies."))
    expect(page.locator(".key-points li").first).to_have_text("بچوں کے قریب فون دور رکھیں۔")
    # Right to left: the words of a key point end at the right of the page, not the left.
    left, right = text_right_edge(page, ".key-points li")
    width = page.viewport_size["width"]
    assert right > width * 0.75 and left > width * 0.25, (left, right)
    assert page.eval_on_selector(".key-points ul", "(el) => getComputedStyle(el).direction") == "rtl"
    assert page.evaluate(CUT_OFF) == []
    assert_accessible(page)
    # 320 px is a small phone, or 400% zoom; 512 px is the tablet at 200% zoom.
    each_size(page, "urdu-policy", {"narrow": (320, 640), "phone": (390, 844), "zoom-200": (512, 683),
                                    "tablet": (1024, 1366)}, back_to=TABLET["viewport"])
    # Every control a person taps is at least 48 px high: the picker, the buttons, the summary.
    small = page.evaluate("""() => [...document.querySelectorAll(
        '.language-picker a, .button, button, details > summary')].filter((el) => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.height < 48;
        }).map((el) => el.outerHTML.slice(0, 80))""")
    assert small == []
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate(CUT_OFF) == []
    page.set_viewport_size(TABLET["viewport"])

    page.locator("a#accept").click()  # "Continue to accept" (the skip link may say the same)
    expect(page.get_by_role("heading", level=1).first).to_have_text(URDU.gettext("Accept the policy"))
    each_size(page, "urdu-accept", {"narrow": (320, 640), "tablet": (1024, 1366)},
              back_to=TABLET["viewport"])
    page.get_by_label(URDU.gettext("Full name")).fill("عائشہ خان")
    page.get_by_label(URDU.gettext("Parent or carer"), exact=True).check()
    page.get_by_label(URDU.gettext("I have read and accept the policy")).check()
    assert page.evaluate(CUT_OFF) == []
    assert_accessible(page)
    page.get_by_role("button", name=URDU.gettext("Accept"), exact=True).click()

    thanks = URDU.gettext("Thank you, %(name)s") % {"name": "عائشہ خان"}
    expect(page.get_by_role("heading", name=thanks)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    with live_server.database():
        [row] = Acceptance.select()
        assert (row.full_name, row.language, row.translation_id) == ("عائشہ خان", "ur", translation.id)
    # Back at the start for the next person: in English again.
    expect(page).to_have_url(live_server.url + "/", timeout=15_000)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")


def test_a_phone_in_polish_gets_polish_and_the_english_policy_when_there_is_no_translation(
        live_server, new_context, assert_accessible):
    page = new_context(**PHONE, locale="pl-PL").new_page()
    page.goto(live_server.url + "/phone")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator(".translation-note")).to_have_text(POLISH.gettext(
        "The policy has not been translated into this language yet, so it is shown in English."))
    expect(page.get_by_role("heading", level=1)).to_have_text("Social Media and Mobile Phone Policy")
    expect(page.locator("article.policy")).to_have_attribute("lang", "en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    page.locator("a#accept").click()
    page.get_by_label(POLISH.gettext("Full name")).fill("Paulina Nowak")
    page.get_by_label(POLISH.gettext("Parent or carer"), exact=True).check()
    page.get_by_label(POLISH.gettext("I have read and accept the policy")).check()
    page.get_by_role("button", name=POLISH.gettext("Accept"), exact=True).click()
    expect(page.get_by_role("heading", name=POLISH.gettext("Thank you, %(name)s")
                            % {"name": "Paulina Nowak"})).to_be_visible()
    with live_server.database():
        [row] = Acceptance.select()
        assert (row.language, row.translation_id) == ("en", None)
