"""Site fixes of Backprop by Hand, as a small local Sphinx extension.

- The book has no launch buttons, so sphinx-thebe's scripts (which Jupyter Book always loads,
  and whose inline configuration ended up on every page twice, a console error) are dropped.
- The theme's own stylesheet additions (bbh.css) are added to every page.
- Every page links to the same page in the other edition: the English site is the root, the
  Korean one (`python -m tools.i18n book`) lives in `ko/` below it, page for page.
"""

from __future__ import annotations

from pathlib import Path


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        files = context.get(key)
        if not files:
            continue
        kept, seen = [], set()
        for entry in files:
            name = str(getattr(entry, "filename", entry) or "")
            body = str(getattr(entry, "attributes", {}).get("body", "") or "")
            if "thebe" in name.lower() or "THEBE" in body:
                continue
            ident = (name, body)
            if ident in seen:       # any other script or stylesheet included twice
                continue
            seen.add(ident)
            kept.append(entry)
        context[key] = kept


# language -> (its name in itself, its folder below the English site's root)
EDITIONS = {"en": ("English", ""), "ko": ("한국어", "ko/")}


def _language_switch(app, pagename, templatename, context, doctree) -> None:
    here = app.config.bbh_language
    root = "../" * pagename.count("/") + ("../" if EDITIONS[here][1] else "")
    links = []
    for lang, (name, folder) in EDITIONS.items():
        if lang == here:
            continue
        href = f"{root}{folder}{pagename}.html"
        links.append(f'<a class="bbh-lang-link" href="{href}" hreflang="{lang}" lang="{lang}" '
                     f'rel="alternate">{name}</a>')
        context["metatags"] = context.get("metatags", "") + (
            f'\n<link rel="alternate" hreflang="{lang}" href="{href}" />')
    if "body" in context and links:
        context["body"] = (f'<nav class="bbh-lang" aria-label="Language / 언어">{" ".join(links)}'
                           f'</nav>\n') + context["body"]


def setup(app):
    app.add_config_value("bbh_language", "en", "html")
    static = Path(__file__).resolve().parent.parent / "_static"
    app.connect("builder-inited",
                lambda app: app.config.html_static_path.append(str(static)))
    app.add_css_file("bbh.css")
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
