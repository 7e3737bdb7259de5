"""Interface strings: a pass-through ``_``/``gettext``/``ngettext`` for the templates.

Templates write every interface string as ``{{ _("English text") }}``, so that message
catalogues can translate them. Until an environment has real translations installed (Jinja's
i18n extension), these stand-ins return the English text, so every template renders.
"""

from __future__ import annotations

from typing import Any


def gettext(message: str) -> str:
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def install_gettext(env: Any) -> None:
    """Give a Jinja environment the pass-through functions, unless it has its own."""
    env.globals.setdefault("_", gettext)
    env.globals.setdefault("gettext", gettext)
    env.globals.setdefault("ngettext", ngettext)
