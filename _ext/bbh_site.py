"""Site fixes of Backprop by Hand, as a small local Sphinx extension.

- The book has no launch buttons, so sphinx-thebe's scripts (which Jupyter Book always loads,
  and whose inline configuration ended up on every page twice, a console error) are dropped.
- The theme's own stylesheet additions (bbh.css) are added to every page.
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


def setup(app):
    static = Path(__file__).resolve().parent.parent / "_static"
    app.connect("builder-inited",
                lambda app: app.config.html_static_path.append(str(static)))
    app.add_css_file("bbh.css")
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
