"""The Spanish and English catalogues: complete, current, well-formed and really used.

Spanish and English are first-class in Amparo: every screen, message and e-mail exists in
both. These tests fail when a string reaches the code without reaching the catalogues, when
a translation drops or invents a placeholder, or when a page does not come out in the
language the browser asks for.
"""

from __future__ import annotations

import gettext as gettext_module
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.management import call_command
from django.utils.html import escape
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "amparo"
LOCALE = PACKAGE / "locale"
LANGUAGES = ("es", "en")
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge")

#: A Python %-format placeholder: %(name)s, %(count)d, %s, ... (but not a literal %%).
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


def load(path: Path) -> polib.POFile:
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run `make messages`."
    return polib.pofile(str(path))


def live_entries(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def listing(title: str, items: list[str]) -> str:
    return f"{len(items)} {title}:\n  " + "\n  ".join(items)


def forget_loaded_translations() -> None:
    """Drop Django's and gettext's caches so freshly compiled .mo files are read."""
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
    gettext_module._translations.clear()  # type: ignore[attr-defined]


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    """Compile the .po files when a .mo is missing or older than its .po (the Makefile does this too)."""
    stale = False
    for lang in LANGUAGES:
        po, mo = po_path(lang), po_path(lang).with_suffix(".mo")
        if po.is_file() and (not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime):
            stale = True
    if stale:
        call_command("compile_catalogues", verbosity=0)
        forget_loaded_translations()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_header_names_language_and_plural_forms(lang):
    catalogue = load(po_path(lang))
    assert catalogue.metadata.get("Language") == lang
    assert catalogue.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert "charset=UTF-8" in catalogue.metadata.get("Content-Type", "")
    assert not catalogue.metadata_is_fuzzy, f"The header of the {lang} catalogue is marked fuzzy."


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(lang):
    catalogue = load(po_path(lang))
    entries = live_entries(catalogue)
    assert entries, f"The {lang} catalogue has no entries: run `make messages`."
    untranslated = [e.msgid for e in entries if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    problems = []
    if untranslated:
        problems.append(listing("untranslated", [repr(msgid) for msgid in untranslated]))
    if fuzzy:
        problems.append(listing("fuzzy (check the translation, then remove the flag)", [repr(m) for m in fuzzy]))
    assert not problems, f"{po_path(lang).relative_to(ROOT)}: " + "\n".join(problems)


def test_spanish_placeholders_match_the_english():
    wrong = []
    for entry in live_entries(load(po_path("es"))):
        if entry.msgid_plural:
            originals = [entry.msgid] + [entry.msgid_plural] * (len(entry.msgstr_plural) - 1)
            forms = list(zip([text for _, text in sorted(entry.msgstr_plural.items())], originals, strict=True))
        else:
            forms = [(entry.msgstr, entry.msgid)]
        for translated, original in forms:
            expected, found = sorted(placeholders(original)), sorted(placeholders(translated))
            if translated and expected != found:
                wrong.append(f"{entry.msgid!r}: expected {expected}, found {found}")
    assert not wrong, "Spanish entries whose placeholders differ from the English:\n  " + "\n  ".join(wrong)


def test_spanish_keeps_the_html_tags_of_the_english():
    wrong = []
    for entry in live_entries(load(po_path("es"))):
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translated in texts:
            if translated and sorted(HTML_TAG.findall(translated)) != sorted(HTML_TAG.findall(entry.msgid)):
                wrong.append(repr(entry.msgid))
    assert not wrong, "Spanish entries whose HTML tags differ from the English:\n  " + "\n  ".join(wrong)


def test_catalogues_are_not_stale(tmp_path):
    """Re-extract the strings from a copy of the code and compare them with the committed catalogue."""
    missing_tools = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing_tools:
        message = f"GNU gettext ({', '.join(missing_tools)}) is not installed, so the catalogues cannot be checked for staleness."
        if os.environ.get("CI") == "true":
            pytest.fail(message + " CI must install gettext (apt-get install gettext).")
        pytest.skip(message + " Install gettext to run this check.")

    copy_root = tmp_path / "project"
    shutil.copytree(PACKAGE, copy_root / "amparo", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    shutil.copy2(ROOT / "manage.py", copy_root / "manage.py")
    env = {
        **os.environ,
        "PYTHONPATH": str(copy_root),
        "DJANGO_SETTINGS_MODULE": "amparo.settings",
        "AMPARO_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, str(copy_root / "manage.py"), "makemessages", "-l", "es", "--no-location", "--no-obsolete"],
        cwd=copy_root / "amparo",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"

    def keys(path: Path) -> set[tuple[str | None, str]]:
        return {(entry.msgctxt, entry.msgid) for entry in live_entries(load(path))}

    regenerated = keys(copy_root / "amparo" / "locale" / "es" / "LC_MESSAGES" / "django.po")
    committed = keys(po_path("es"))
    assert regenerated, "makemessages found no strings in the copy of the code."
    missing = sorted(regenerated - committed, key=lambda key: key[1])
    leftover = sorted(committed - regenerated, key=lambda key: key[1])
    problems = []
    if missing:
        problems.append(listing("string(s) in the code but not in the catalogue", [repr(m) for _, m in missing]))
    if leftover:
        problems.append(listing("string(s) in the catalogue but no longer in the code", [repr(m) for _, m in leftover]))
    advice = "The catalogues are stale; run `make messages` and translate the new entries."
    assert not problems, advice + "\n" + "\n".join(problems)


def spanish_for(msgid: str) -> str:
    entry = load(po_path("es")).find(msgid)
    assert entry is not None and entry.msgstr, f"{msgid!r} has no Spanish translation."
    assert entry.msgstr != msgid, f"The Spanish for {msgid!r} is still English."
    return entry.msgstr


@pytest.mark.django_db
def test_sign_in_page_comes_out_in_spanish_when_the_browser_asks_for_it(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es"' in page
    assert escape(spanish_for("Sign in")) in page
    assert escape(spanish_for("Forgot your password?")) in page
    assert response.headers.get("Content-Language") == "es"


@pytest.mark.django_db
def test_sign_in_page_comes_out_in_english_by_default(client):
    assert settings.LANGUAGE_CODE == "en"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="en"' in page
    assert "Sign in" in page
    assert escape(spanish_for("Sign in")) not in page
