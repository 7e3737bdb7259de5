"""The interface's languages: gettext catalogs, the language of a request, language URLs.

Why gettext: interface strings live in standard catalogs (site/locale/<lang>/LC_MESSAGES/
messages.po, extracted and updated with Babel, see babel.cfg), which translators edit with
ordinary tools; templates only call ``_()``/``gettext``/``ngettext`` (Jinja2's i18n
extension). The English text is the message id, so English needs no catalog entries.

Why compiled here: the .po files are the source; each is compiled in memory when first used
(Babel's own reader and writer), so there is no stale .mo to forget and the result depends on
the .po bytes alone.

Why prefixes: each language version of a page has its own URL (so a static export holds it
and search engines index it). Kazakh, the law's language and the default, is at the plain
path; Russian and English under ``/ru/...`` and ``/en/...``. Concept URIs never change: an
identifier answers 303 to the HTML document in the language the client asks for (an
explicit ``/ru/`` prefix, else ``Accept-Language``, else Kazakh).
"""

from __future__ import annotations

import gettext as _gettext
import io
from contextvars import ContextVar
from functools import cache, lru_cache

import jinja2

from kg.settings import LOCALE_DIR

#: Interface languages in the order the switch lists them; the first is the default.
LANGUAGES = ("kk", "ru", "en")
DEFAULT = "kk"
#: Each language's name in itself, for the switch.
NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
DOMAIN = "messages"

#: The language of the document being rendered (set around each render).
_CURRENT: ContextVar[str] = ContextVar("kg_language", default=DEFAULT)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translate where shown"
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of `lang`, compiled from its .po file (English: the message ids)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.is_file():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def current() -> str:
    return _CURRENT.get()


class using:  # noqa: N801 - used as a context manager, reads like one
    """``with using("ru"): ...`` renders in Russian."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT

    def __enter__(self) -> str:
        self._token = _CURRENT.set(self.lang)
        return self.lang

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self._token)


def gettext(message: str) -> str:
    return translations(_CURRENT.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_CURRENT.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_CURRENT.get()).pgettext(context, message)


def install(env: jinja2.Environment) -> None:
    """Give a Jinja environment the i18n extension and the gettext callables of the current
    language (``_``, ``gettext``, ``ngettext``, ``pgettext``), new-style (``_("%(n)s", n=1)``)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext
    )
    env.globals.update(languages=LANGUAGES, language_names=NAMES, current_language=current)


# ---------------------------------------------------------------------------- URLs


def split(path: str) -> tuple[str | None, str]:
    """The language a path's prefix names (None for the plain path) and the path without it:
    ``/ru/browse`` -> ("ru", "/browse"), ``/en/`` -> ("en", "/"), ``/browse`` -> (None, ...)."""
    for lang in LANGUAGES:
        if lang == DEFAULT:
            continue
        head = f"/{lang}"
        if path == head or path.startswith(head + "/"):
            return lang, path[len(head) :] or "/"
    return None, path


def prefixed(path: str, lang: str) -> str:
    """The site path of `path` (a plain path) in language `lang`."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return path
    return f"/{lang}{path}"


@lru_cache(maxsize=256)
def from_accept_language(header: str | None) -> str | None:
    """The interface language an Accept-Language header prefers (RFC 9110 12.5.4, basic
    filtering on the primary subtag), or None when it names none of ours."""
    if not header:
        return None
    best, best_q = None, 0.0
    for element in header.split(",")[:32]:
        parts = [p.strip() for p in element.split(";")]
        tag = parts[0].lower()
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not 0.0 < q <= 1.0:
            continue
        primary = tag.split("-", 1)[0]
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def choose(explicit: str | None, accept_language: str | None) -> str:
    """Explicit choice (a URL prefix), else Accept-Language, else Kazakh."""
    if explicit in LANGUAGES:
        return explicit
    return from_accept_language(accept_language) or DEFAULT
