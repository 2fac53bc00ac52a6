"""The Korean edition (한국어판): catalogs of the book's prose, and the Korean sources made from them.

Only prose is translated. Every page of the book is cut into blocks (a paragraph, a heading, a
list, a table, an admonition's text) and each block with English words in it is one message of
a gettext catalog, ``locale/ko/LC_MESSAGES/<page>.po``. Code cells, their outputs, display
mathematics, directive lines and labels are never messages: the Korean sources are made from the
English ones by swapping each message for its translation, so they cannot drift apart.

Sphinx's own gettext route (``sphinx-build -b gettext`` then ``-D language=ko``) is not used:
MyST-NB parses a translated notebook's text as JSON and fails (MyST-NB issue #587). Making the
Korean notebooks first and building them as an ordinary book does not depend on that bug.

    python -m tools.i18n update            # re-extract messages into the catalogs (after editing English)
    python -m tools.i18n status            # translated / fuzzy / untranslated per catalog
    python -m tools.i18n todo PO           # the messages of one catalog still to translate, numbered
    python -m tools.i18n fill PO FILE      # put translations (=== N blocks) into a catalog;
                                           # a line "#except TERM: REASON" in a block excuses a
                                           # glossary term that this translation rightly leaves out
    python -m tools.i18n check [PO...]     # formulas, code and glossary terms kept in each translation
    python -m tools.i18n sources OUT       # write the Korean book's sources (a Jupyter Book) to OUT
    python -m tools.i18n exercises         # regenerate exercises/ko/aN/aN.ipynb
    python -m tools.i18n book              # build the Korean site into _build/html/ko
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCALE = REPO_ROOT / "locale" / "ko" / "LC_MESSAGES"
GLOSSARY = REPO_ROOT / "book" / "glossary.md"
LANGUAGE = "ko"
TOC_CATALOG = "_toc"          # the book's title and the table of contents' captions
THEME_CATALOG = "theme"       # the theme's interface (kept by hand: it is not extracted)
FIGURES_CATALOG = "figures"   # the texts in the chapters' figures (python -m tools.i18n_figures)
BIB_CATALOG = "references-bib"  # how the bibliography describes the course's Korean sources
BIB = REPO_ROOT / "book" / "references.bib"
# Fields of the Korean sources' entries (keys src-*) that describe them in English; their
# titles are the sources' own and stay as they are.
_BIB_FIELD = re.compile(r"^(\s*(?:author|howpublished|note)\s*=\s*\{)(.*)(\},?\s*)$")

# ---------------------------------------------------------------------------------------------
# Cutting markdown into blocks
# ---------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})\s*(\{([\w:-]+)\})?(.*)$")
# Directives whose body is not prose: kept whole, never translated.
_ATOMIC = {"math", "code", "code-block", "code-cell", "bibliography", "tableofcontents",
           "raw", "eval-rst"}
_OPTION = re.compile(r"^\s*:[\w-]+:")
_LABEL = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_COMMENT = re.compile(r"^\s*(%|<!--)")


@dataclass
class Piece:
    """A run of lines of a page: a message to translate, or text kept as it is."""

    text: str
    message: bool


def _prose_only(text: str) -> str:
    """`text` without its mathematics, code, roles, link targets and HTML: what is left to read."""
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", " ", text, flags=re.S)
    text = re.sub(r"(?<![\\$])\$[^$]+?\$", " ", text)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    return text


def has_prose(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]{2,}", _prose_only(text)))


def cut(markdown: str) -> list[Piece]:
    """Cut a page's markdown into pieces; ``"".join(p.text for p in cut(s)) == s``."""
    lines = markdown.splitlines(keepends=True)
    pieces: list[Piece] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            text = "".join(para)
            body = text.rstrip("\n")
            pieces.append(Piece(body, has_prose(body)))
            if len(text) > len(body):
                pieces.append(Piece(text[len(body):], False))
            para.clear()

    def keep(text: str) -> None:
        flush()
        pieces.append(Piece(text, False))

    stack: list[str] = []           # fences of the directives open around the current line
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        if m:
            fence, name = m.group(2), m.group(4)
            rest = m.group(5).strip()
            if name is None and rest == "" and stack and fence == stack[-1]:
                keep(line)              # the closing fence of a directive
                stack.pop()
                i += 1
                continue
            if name is None or name in _ATOMIC:
                # A code block or an untranslated directive: up to its closing fence, whole.
                j = i + 1
                while j < len(lines) and lines[j].strip() != fence:
                    j += 1
                keep("".join(lines[i:j + 1]))
                i = j + 1
                continue
            keep(line)                  # a directive with prose inside: its body is cut too
            stack.append(fence)
            i += 1
            while i < len(lines) and _OPTION.match(lines[i]):
                keep(lines[i])
                i += 1
            continue
        stripped = line.strip()
        if stripped == "":
            keep(line)
        elif stripped.startswith("$$"):
            j = i
            while not (lines[j].rstrip().endswith("$$") and (j > i or stripped.count("$$") >= 2)
                       or re.search(r"\$\$\s*\([\w:-]+\)\s*$", lines[j]) and j > i):
                j += 1
                if j >= len(lines):
                    j = len(lines) - 1
                    break
            keep("".join(lines[i:j + 1]))
            i = j + 1
            continue
        elif _LABEL.match(line) or _COMMENT.match(line):
            keep(line)
        else:
            para.append(line)
        i += 1
    flush()
    return pieces


def translate_markdown(markdown: str, lookup) -> str:
    return "".join(lookup(p.text) if p.message else p.text for p in cut(markdown))


# ---------------------------------------------------------------------------------------------
# Docstrings of assignment code cells
# ---------------------------------------------------------------------------------------------

def _docstrings(source: str) -> list[tuple[int, int, str]]:
    """(start offset, end offset, text) of every docstring's content in a code cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        body = node.body
        if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            continue
        c = body[0].value
        a = starts[c.lineno - 1] + _chars(lines[c.lineno - 1], c.col_offset)
        b = starts[c.end_lineno - 1] + _chars(lines[c.end_lineno - 1], c.end_col_offset)
        literal = source[a:b]
        m = re.match(r'^([rRuU]?)("""|\'\'\'|"|\')(.*)\2$', literal, re.S)
        if not m:
            continue
        inner_a = a + len(m.group(1)) + len(m.group(2))
        inner_b = b - len(m.group(2))
        text = source[inner_a:inner_b]
        if has_prose(text):
            found.append((inner_a, inner_b, text))
    return sorted(found)


def _chars(line: str, byte_offset: int) -> int:
    """ast's column (UTF-8 bytes) as a character offset into `line`."""
    return len(line.encode()[:byte_offset].decode())


def translate_code(source: str, lookup) -> str:
    out, last = [], 0
    for a, b, text in _docstrings(source):
        out += [source[last:a], lookup(text)]
        last = b
    out.append(source[last:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# The pages and their messages
# ---------------------------------------------------------------------------------------------

@dataclass
class Page:
    """One source file of the book and its catalog."""

    source: str                 # path relative to the repository, e.g. "book/03-backprop-mlp.ipynb"
    catalog: str                # catalog name, e.g. "book/03-backprop-mlp"
    docstrings: bool = False    # assignment notebooks: docstrings are translated too

    @property
    def po_path(self) -> Path:
        return LOCALE / f"{self.catalog}.po"

    def messages(self) -> list[tuple[str, str]]:
        """(message, where) in page order, each message once."""
        seen: dict[str, str] = {}
        for where, kind, text in self._texts():
            if kind == "code":
                for _, _, doc in _docstrings(text):
                    seen.setdefault(doc, where)
            else:
                for piece in cut(text):
                    if piece.message:
                        seen.setdefault(piece.text, where)
        return list(seen.items())

    def _texts(self) -> Iterator[tuple[str, str, str]]:
        path = REPO_ROOT / self.source
        if path.suffix == ".md":
            yield self.source, "markdown", path.read_text(encoding="utf-8")
            return
        nb = json.loads(path.read_text(encoding="utf-8"))
        for n, cell in enumerate(nb["cells"]):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            where = f"{self.source}:cell{n}"
            if cell["cell_type"] == "markdown":
                yield where, "markdown", src
            elif cell["cell_type"] == "code" and self.docstrings:
                yield where, "code", src


def toc_files() -> list[str]:
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(toc.get("parts", []))
    return files


def pages() -> list[Page]:
    out = []
    for name in toc_files():
        for suffix in (".md", ".ipynb"):
            if (REPO_ROOT / f"{name}{suffix}").is_file():
                source = f"{name}{suffix}"
                break
        else:
            raise FileNotFoundError(f"{name} in _toc.yml has no .md or .ipynb")
        if name.startswith("exercises/"):
            out.append(Page(source, f"exercises/{Path(name).name}", docstrings=True))
        else:
            out.append(Page(source, name))
    return out


def _bib_lines() -> Iterator[tuple[int, re.Match]]:
    key = None
    for n, line in enumerate(BIB.read_text(encoding="utf-8").splitlines(keepends=True)):
        m = re.match(r"^@\w+\{([^,]+),", line)
        if m:
            key = m.group(1)
        field_ = _BIB_FIELD.match(line)
        if key and key.startswith("src-") and field_ and has_prose(field_.group(2)) \
                and " " in field_.group(2):        # a site's name stays as it is
            yield n, field_


def bib_messages() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for n, m in _bib_lines():
        seen.setdefault(m.group(2), f"book/references.bib:{n + 1}")
    return list(seen.items())


def korean_bib(lookup) -> str:
    lines = BIB.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, m in _bib_lines():
        lines[n] = m.group(1) + lookup(m.group(2)) + m.group(3)
    return "".join(lines)


def toc_messages() -> list[tuple[str, str]]:
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    out = [(config["title"], "_config.yml:title"), (config["author"], "_config.yml:author")]
    for part in toc.get("parts", []):
        if "caption" in part:
            out.append((part["caption"], "_toc.yml:caption"))
    return out


# ---------------------------------------------------------------------------------------------
# Catalogs
# ---------------------------------------------------------------------------------------------

def _new_po() -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "Backprop by Hand",
        "Language": LANGUAGE,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    return po


def load(path: Path) -> polib.POFile:
    return polib.pofile(str(path), wrapwidth=0) if path.is_file() else _new_po()


def update_catalog(path: Path, messages: list[tuple[str, str]]) -> tuple[int, int, int]:
    """Make the catalog at `path` hold exactly `messages`; returns (new, fuzzy, obsolete).

    A translation is kept while its English message is unchanged. A changed message starts
    from the closest old translation, marked fuzzy (the old English stays as ``#|``), so the
    translator sees what changed; an unused translation is kept as obsolete (``#~``).
    """
    old = load(path)
    by_id = {e.msgid: e for e in old if not e.obsolete}
    obsolete_pool = {e.msgid: e for e in old if e.msgstr}
    po = _new_po()
    new = fuzzy = 0
    used = set()
    for msgid, where in messages:
        entry = polib.POEntry(msgid=msgid, msgstr="", occurrences=[(where, "")])
        prev = by_id.get(msgid)
        if prev is not None:
            entry.msgstr = prev.msgstr
            entry.flags = list(prev.flags)
            entry.previous_msgid = prev.previous_msgid
            entry.tcomment = prev.tcomment
            used.add(msgid)
        else:
            new += 1
            close = difflib.get_close_matches(msgid, [k for k in obsolete_pool if k not in used],
                                              n=1, cutoff=0.6)
            if close:
                entry.msgstr = obsolete_pool[close[0]].msgstr
                entry.flags = ["fuzzy"]
                entry.previous_msgid = close[0]
                used.add(close[0])
                fuzzy += 1
        po.append(entry)
    current = {m for m, _ in messages}
    dropped = 0
    for e in old:
        if e.msgid not in current and e.msgid not in used and e.msgstr and e.msgid:
            e.obsolete = True
            e.occurrences = []
            po.append(e)
            dropped += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return new, fuzzy, dropped


def catalogs() -> dict[str, list[tuple[str, str]]]:
    """Catalog name -> its messages, for every page and for the table of contents."""
    out = {p.catalog: p.messages() for p in pages()}
    out[TOC_CATALOG] = toc_messages()
    out[BIB_CATALOG] = bib_messages()
    return out


def catalog_names() -> list[str]:
    return [*catalogs(), THEME_CATALOG, FIGURES_CATALOG]


def update() -> None:
    for name, messages in catalogs().items():
        new, fuzzy, dropped = update_catalog(LOCALE / f"{name}.po", messages)
        if new or dropped:
            print(f"{name}.po: {len(messages)} messages, {new} new ({fuzzy} fuzzy), "
                  f"{dropped} made obsolete")


def status() -> list[tuple[str, int, int, int]]:
    rows = []
    for name in catalog_names():
        po = load(LOCALE / f"{name}.po")
        live = [e for e in po if not e.obsolete]
        rows.append((name, len([e for e in live if e.translated()]),
                     len(po.fuzzy_entries()), len([e for e in live if not e.msgstr])))
    return rows


class Translations:
    """Lookup of translations; an untranslated or fuzzy message stays English (and is counted)."""

    def __init__(self, catalog: str):
        po = load(LOCALE / f"{catalog}.po")
        self.table = {e.msgid: e.msgstr for e in po
                      if not e.obsolete and e.msgstr and "fuzzy" not in e.flags}
        self.missing: list[str] = []

    def __call__(self, msgid: str) -> str:
        if msgid in self.table:
            return self.table[msgid]
        self.missing.append(msgid)
        return msgid


# ---------------------------------------------------------------------------------------------
# What a translation must keep
# ---------------------------------------------------------------------------------------------

_XREF_ROLES = {"ref", "numref", "doc", "term", "download", "eq"}


def invariants(text: str) -> dict[str, list[str]]:
    """What a translation must carry unchanged: formulas, code, references, numbers, syntax."""
    out: dict[str, list[str]] = {"math": [], "code": [], "target": [], "syntax": [], "number": []}
    rest = text
    for m in re.finditer(r"\$\$(.*?)\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\2\}", rest, re.S):
        out["math"].append(_squash(m.group(0)))
    rest = re.sub(r"\$\$.*?\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", " ", rest, flags=re.S)
    for m in re.finditer(r"(?<![\\$])\$([^$]+?)\$", rest):
        out["math"].append(_squash(m.group(1)))
    rest = re.sub(r"(?<![\\$])\$[^$]+?\$", " ", rest)
    for m in re.finditer(r"\{([\w:-]+)\}`([^`]*)`", rest):
        role, body = m.group(1), m.group(2)
        t = re.search(r"<([^>]+)>\s*$", body)
        if role.split(":")[0] in _XREF_ROLES and t:
            out["target"].append(f"{role}:{t.group(1)}")
        elif role.split(":")[0] in ("ref", "numref", "doc", "term", "download"):
            out["target"].append(f"{role}:{body}")
        else:
            out["code"].append(f"{{{role}}}{body}")
    rest = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", rest)
    for m in re.finditer(r"`([^`]+)`", rest):
        out["code"].append(m.group(1))
    rest = re.sub(r"`[^`]*`", " ", rest)
    for m in re.finditer(r"\]\(([^)\s]+)\)", rest):
        out["target"].append(m.group(1))
    rest = re.sub(r"\]\([^)]*\)", "]", rest)
    for line in text.splitlines():
        fence = _FENCE.match(line)
        if fence:
            out["syntax"].append(fence.group(2) + (fence.group(3) or ""))
        elif _OPTION.match(line):
            out["syntax"].append(line.strip())
        h = re.match(r"^(#{1,6})\s", line)
        if h:
            out["syntax"].append(h.group(1))
    if re.match(r"^\s*\n\s{4}\S", text):   # a docstring: its argument names and shapes
        out["code"] += re.findall(r"^\s*- (\w+):", text, re.M)
        out["code"] += [_squash(s) for s in re.findall(r"\(([\w*.]+,[\w*.,\s]*)\)", text)]
    out["number"] = re.findall(r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?![A-Za-z0-9_])", rest)
    return out


_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def _written_in_korean_units(number: str, msgid: str, msgstr: str) -> bool:
    """"16.8 million" may be written as Korean counts it, in 만 (10^4) and 억 (10^8): 1,680만."""
    m = re.search(rf"(?<![\d.]){re.escape(number)}\s+(thousand|million|billion)", msgid)
    if not m:
        return False
    value = float(number) * _SCALE[m.group(1)]
    forms = set()
    for unit, size in (("만", 1e4), ("억", 1e8), ("천", 1e3)):
        q = value / size
        if q >= 1 and abs(q - round(q, 2)) < 1e-9:
            text = f"{round(q, 2):g}" if q < 1e6 else f"{int(q)}"
            forms |= {f"{text}{unit}", f"{text} {unit}"}
            if q >= 1000 and q == int(q):
                forms |= {f"{int(q):,}{unit}", f"{int(q):,} {unit}"}
    return any(f in msgstr for f in forms)


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def problems(msgid: str, msgstr: str) -> list[str]:
    """What a translation lost or changed of the English message's formulas, code and syntax."""
    a, b = invariants(msgid), invariants(msgstr)
    found = []
    for kind in ("math", "code", "target", "syntax"):
        missing = sorted(set(a[kind]) - set(b[kind]))
        extra = sorted(set(b[kind]) - set(a[kind]))
        if missing:
            found.append(f"{kind} missing: " + " | ".join(missing))
        if extra:
            found.append(f"{kind} not in the English: " + " | ".join(extra))
    if "\n\n" in msgstr.strip() and "\n\n" not in msgid.strip():
        found.append("a blank line: a translation is one block, as its English is")
    if '"""' in msgstr:
        found.append("triple quotes would end the docstring")
    numbers = sorted(n for n in set(a["number"]) - set(b["number"])
                     if not _written_in_korean_units(n, msgid, msgstr))
    if numbers:
        found.append("numbers missing: " + ", ".join(numbers))
    if msgid.lstrip().startswith(("- ", "* ", "1. ")):
        items_a = len(re.findall(r"^\s*(?:[-*]|\d+\.)\s", msgid, re.M))
        items_b = len(re.findall(r"^\s*(?:[-*]|\d+\.)\s", msgstr, re.M))
        if items_a != items_b:
            found.append(f"list has {items_b} items, the English {items_a}")
    if msgid.lstrip().startswith("|"):
        rows_a = len(re.findall(r"^\s*\|", msgid, re.M))
        rows_b = len(re.findall(r"^\s*\|", msgstr, re.M))
        if rows_a != rows_b:
            found.append(f"table has {rows_b} rows, the English {rows_a}")
    return found


# -- the glossary is law ---------------------------------------------------------------------

_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*$")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HANJA = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def glossary() -> dict[str, str]:
    """English term -> Korean term, from the glossary's table."""
    entries = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if m and _HANGUL.search(m.group(2)) and not set(m.group(1)) <= set("-: ") \
                and m.group(2) != "한국어":          # not the header row
            entries[m.group(1)] = m.group(2)
    return entries


def _names(entry: str, abbreviation: bool = False) -> set[str]:
    """The names an entry goes by: "stacked (multi-layer) RNN" is also "multi-layer RNN", and
    with `abbreviation`, "gated recurrent unit (GRU)" is also "GRU" (a translation may keep an
    abbreviation as it is, so the glossary law does not count it)."""
    names = {entry}
    m = re.match(r"^(.*?)\s*\(([^)]+)\)\s*(.*)$", entry)
    if m:
        before, inside, after = (part.strip() for part in m.groups())
        names.add(" ".join(f"{before} {after}".split()))
        if after or abbreviation:
            names.add(" ".join(f"{inside} {after}".split()))
    return {n for n in names if n}


def _term_pattern(name: str) -> re.Pattern:
    words = re.escape(name).replace(r"\ ", r"[\s-]+")
    if name.endswith("x"):
        tail = r"(?:x|ces|xes)"
        words = words[:-1]
    elif name.endswith("y") and not name.endswith(("ey", "ay", "oy")):
        tail = r"(?:y|ies)"
        words = words[:-1]
    else:
        tail = r"(?:s|es|'s)?"
    return re.compile(rf"(?<![\w-]){words}{tail}(?![\w-])", re.I)


_PATTERNS: list[tuple[str, str, re.Pattern]] | None = None


def _glossary_patterns() -> list[tuple[str, str, re.Pattern]]:
    global _PATTERNS
    if _PATTERNS is None:
        rows = []
        for english, korean in glossary().items():
            for name in _names(english):
                rows.append((english, korean, _term_pattern(name), len(name)))
        rows.sort(key=lambda r: -r[3])
        _PATTERNS = [(e, k, p) for e, k, p, _ in rows]
    return _PATTERNS


def glossary_terms(msgid: str) -> list[tuple[str, str]]:
    """(English, Korean) of every glossary term in the prose of `msgid`, longest match first."""
    prose = _prose_only(msgid)
    found = []
    for english, korean, pattern in _glossary_patterns():
        hit = False

        def blank(m):
            nonlocal hit
            hit = True
            return " " * len(m.group(0))
        prose = pattern.sub(blank, prose)
        if hit and (english, korean) not in found:
            found.append((english, korean))
    return found


def glossary_problems(msgid: str, msgstr: str, excused: dict[str, str] | None = None) -> list[str]:
    """Glossary terms of the English whose Korean term the translation lacks (unless excused)."""
    excused = excused or {}
    squashed = re.sub(r"\s+", "", msgstr)
    found = []
    for english, korean in glossary_terms(msgid):
        if re.sub(r"\s+", "", korean) in squashed:
            continue
        if english.lower() in excused:
            continue
        found.append(f"glossary: '{english}' is in the English, '{korean}' is not in the translation")
    return found


_EXCEPT = re.compile(r"^glossary-exception: ([^:]+): (.+)$", re.M)


def excused(entry: polib.POEntry) -> dict[str, str]:
    """Glossary terms this translation leaves out on purpose (translator comment), with why."""
    return {m.group(1).strip().lower(): m.group(2).strip()
            for m in _EXCEPT.finditer(entry.tcomment or "")}


def entry_problems(entry: polib.POEntry, catalog: str = "") -> list[str]:
    if not entry.msgstr:
        return ["not translated"]
    found = problems(entry.msgid, entry.msgstr) + glossary_problems(
        entry.msgid, entry.msgstr, excused(entry))
    if "fuzzy" in entry.flags:
        found.insert(0, "fuzzy: the English changed since this was translated")
    hanja = set(_HANJA.findall(entry.msgstr)) - set(_HANJA.findall(entry.msgid))
    if hanja:
        found.append("Chinese characters in the Korean: " + "".join(sorted(hanja)))
    # A page's prose is Korean; a title, or a figure's label that is a name ("ReLU", "Adam")
    # or code ("x[n]  (C_in, H, W)"), may stay as it is.
    if catalog not in (TOC_CATALOG, FIGURES_CATALOG) and not _HANGUL.search(entry.msgstr) \
            and has_prose(entry.msgid):
        if not entry.msgid.lstrip().startswith("|"):
            found.append("no Korean in the translation")
    return found


# ---------------------------------------------------------------------------------------------
# Korean sources
# ---------------------------------------------------------------------------------------------

def translate_notebook(nb: dict, lookup, docstrings: bool) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            new = translate_markdown(src, lookup)
        elif cell["cell_type"] == "code" and docstrings:
            new = translate_code(src, lookup)
        else:
            continue
        if new != src:
            cell["source"] = new.splitlines(keepends=True) if isinstance(cell["source"], list) else new
    return nb


def _dump(nb: dict) -> str:
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def korean_page(page: Page) -> tuple[str, list[str]]:
    """The Korean text of a page (notebook JSON or markdown) and the messages left in English."""
    lookup = Translations(page.catalog)
    path = REPO_ROOT / page.source
    if path.suffix == ".md":
        text = translate_markdown(path.read_text(encoding="utf-8"), lookup)
    else:
        nb = translate_notebook(json.loads(path.read_text(encoding="utf-8")), lookup,
                                page.docstrings)
        if page.source.startswith("book/"):
            from tools import i18n_figures  # the Korean figures, where they are current
            state = i18n_figures.FigureState.load()
            for cell in nb["cells"]:
                if cell["cell_type"] == "code" and cell.get("outputs"):
                    outputs = i18n_figures.korean_outputs(page.source, cell, state)
                    if outputs is not None:
                        cell["outputs"] = outputs
        text = _dump(nb)
    return text, lookup.missing


def exercise_path(page: Page) -> Path:
    """exercises/a1/a1.ipynb -> exercises/ko/a1/a1.ipynb"""
    parts = Path(page.source).parts
    return REPO_ROOT / parts[0] / LANGUAGE / Path(*parts[1:])


def write_exercises() -> list[Path]:
    written = []
    for page in pages():
        if not page.docstrings:
            continue
        text, _ = korean_page(page)
        target = exercise_path(page)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def write_sources(out: Path) -> list[str]:
    """Write the Korean book (a Jupyter Book of its own) to `out`; returns messages left English."""
    out.mkdir(parents=True, exist_ok=True)
    missing: list[str] = []
    toc = Translations(TOC_CATALOG)
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = toc(config["title"])
    config["author"] = toc(config["author"])
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = LANGUAGE
    sphinx["bbh_language"] = LANGUAGE
    # The theme's strings that neither Sphinx nor the themes translate: a catalog of our own,
    # found first because it is in the book's locale_dirs.
    theme = Translations(THEME_CATALOG)
    mo = out / "locale" / LANGUAGE / "LC_MESSAGES" / "sphinx.mo"
    mo.parent.mkdir(parents=True, exist_ok=True)
    load(LOCALE / f"{THEME_CATALOG}.po").save_as_mofile(str(mo))
    sphinx["locale_dirs"] = ["locale"]
    sphinx["nb_code_prompt_show"] = theme("Show code cell source")
    sphinx["nb_code_prompt_hide"] = theme("Hide code cell source")
    missing += theme.missing
    config["exclude_patterns"] = [*config.get("exclude_patterns", []), "locale/*"]
    (out / "_config.yml").write_text(
        "# Made by `python -m tools.i18n sources` from the English _config.yml: do not edit.\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tocdata = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for part in tocdata.get("parts", []):
        if "caption" in part:
            part["caption"] = toc(part["caption"])
    (out / "_toc.yml").write_text(yaml.safe_dump(tocdata, allow_unicode=True, sort_keys=False),
                                  encoding="utf-8")
    missing += toc.missing
    for page in pages():
        text, left = korean_page(page)
        target = out / page.source
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")   # unchanged files keep their time stamp
        missing += left
    bib = Translations(BIB_CATALOG)
    text = korean_bib(bib)
    target = out / "book" / "references.bib"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    missing += bib.missing
    for linked in ("_ext", "_static", "autograder"):
        link = out / linked
        if not link.exists():
            link.symlink_to(REPO_ROOT / linked)
    return missing


def build_book(html_root: Path, work: Path, jupyter_book: str, strict: bool = True,
               capture: bool = False) -> subprocess.CompletedProcess:
    """Build the Korean site from the current catalogs into `html_root`/ko.

    Messages not translated yet stay English (the count is printed); `make test` fails on them.
    """
    missing = write_sources(work)
    if missing:
        print(f"Korean edition: {len(missing)} messages are not translated yet and stay in "
              f"English (`python -m tools.i18n status`).", file=sys.stderr)
    cmd = [jupyter_book, "build", str(work), "--keep-going"]
    if strict:
        cmd[3:3] = ["-W", "-n"]
    proc = subprocess.run(cmd, capture_output=capture, text=True)
    if proc.returncode == 0:
        target = html_root / LANGUAGE
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(work / "_build" / "html", target)
    return proc


# ---------------------------------------------------------------------------------------------
# Working on a catalog (for translators)
# ---------------------------------------------------------------------------------------------

def _resolve(po_arg: str) -> tuple[Path, str]:
    path = Path(po_arg)
    if path.suffix != ".po" or not path.is_file():
        path = LOCALE / (po_arg if po_arg.endswith(".po") else f"{po_arg}.po")
    catalog = str(path.resolve().relative_to(LOCALE.resolve()).with_suffix(""))
    return path, catalog


def todo(po_arg: str, show_all: bool = False) -> None:
    path, catalog = _resolve(po_arg)
    po = load(path)
    for n, e in enumerate(e for e in po if not e.obsolete):
        issues = entry_problems(e, catalog)
        if show_all or issues:
            print(f"=== {n}")
            print(e.msgid)
            if e.msgstr:
                print("--- current translation" + (" (fuzzy)" if "fuzzy" in e.flags else ""))
                print(e.msgstr)
            for issue in issues:
                if issue != "not translated":
                    print(f"!!! {issue}")
            print()


def fill(po_arg: str, answers: Path) -> int:
    """Set translations from a file of ``=== N`` blocks (N as `todo` numbers them)."""
    path, catalog = _resolve(po_arg)
    po = load(path)
    live = [e for e in po if not e.obsolete]
    blocks = re.split(r"^=== (\d+)\s*$", answers.read_text(encoding="utf-8"), flags=re.M)
    bad = 0
    for i in range(1, len(blocks), 2):
        n, text = int(blocks[i]), blocks[i + 1].strip("\n")
        notes = re.findall(r"^#except ([^:\n]+):\s*(.+)$", text, re.M)
        text = re.sub(r"^#except .*\n?", "", text, flags=re.M).rstrip()
        if n >= len(live):
            print(f"=== {n}: no such message")
            bad += 1
            continue
        e = live[n]
        if text.strip():     # a docstring keeps the English's leading and trailing whitespace
            lead = e.msgid[:len(e.msgid) - len(e.msgid.lstrip())]
            trail = e.msgid[len(e.msgid.rstrip()):]
            text = lead + text.strip() + trail
        e.msgstr = text
        e.tcomment = "\n".join(f"glossary-exception: {t.strip()}: {why.strip()}"
                               for t, why in notes) or None
        if "fuzzy" in e.flags:
            e.flags.remove("fuzzy")
            e.previous_msgid = None
        for issue in entry_problems(e, catalog):
            print(f"=== {n}: {issue}")
            bad += 1
    po.save(str(path))
    return bad


def check(po_args: list[str]) -> int:
    paths = [_resolve(a) for a in po_args] if po_args else \
        [(LOCALE / f"{name}.po", name) for name in catalog_names()]
    bad = 0
    for path, catalog in paths:
        po = load(path)
        for n, e in enumerate(x for x in po if not x.obsolete):
            for issue in entry_problems(e, catalog):
                if issue == "not translated" and po_args == []:
                    continue
                print(f"{catalog}.po #{n}: {issue}")
                bad += 1
    return bad


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "update":
        update()
    elif cmd == "status":
        total = [0, 0, 0]
        for name, done, fuzzy, empty in status():
            print(f"{name:40} {done:4} translated {fuzzy:3} fuzzy {empty:4} untranslated")
            total = [total[0] + done, total[1] + fuzzy, total[2] + empty]
        print(f"{'all':40} {total[0]:4} translated {total[1]:3} fuzzy {total[2]:4} untranslated")
    elif cmd == "todo":
        todo(args[0], show_all="--all" in args)
    elif cmd == "fill":
        return 1 if fill(args[0], Path(args[1])) else 0
    elif cmd == "check":
        return 1 if check(args) else 0
    elif cmd == "sources":
        missing = write_sources(Path(args[0]))
        print(f"{len(missing)} messages left in English")
    elif cmd == "exercises":
        for p in write_exercises():
            print(f"wrote {p.relative_to(REPO_ROOT)}")
    elif cmd == "book":
        bindir = Path(sys.executable).parent
        proc = build_book(REPO_ROOT / "_build" / "html", REPO_ROOT / "_build" / "ko-src",
                          str(bindir / "jupyter-book"), strict="--lenient" not in args)
        if proc.returncode:
            return proc.returncode
        print(f"The Korean edition is in {REPO_ROOT / '_build' / 'html' / LANGUAGE}/")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
