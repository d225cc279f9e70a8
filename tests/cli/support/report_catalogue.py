#!/usr/bin/env python3
"""report_catalogue.py I18N_CPP LANG REPORT.txt [ALLOW...]

Fails (exit 1, one line per problem) when the report in LANG (nl, fr, de) contains an English
text of the report's catalogue (src/report/i18n.cpp, the k_texts table) whose translation
differs, or a raw key of the catalogue (a key with '_' or '.', e.g. seal.tree_size).

English texts are cut at their {N} placeholders and line feeds; a piece counts when it has
at least two words or one word of 8 letters or more. ALLOW pieces are proper nouns or
technical tokens that are the same in every language."""
import re
import sys

src, lang, report_path = sys.argv[1:4]
allow = set(sys.argv[4:])
text = open(src, encoding="utf-8").read()
body = text[text.index("constexpr Text k_texts[] = {"):]
body = body[:body.index("\n};\n")]
body = re.sub(r"^\s*//.*$", "", body, flags=re.M)

LIT = r'"(?:[^"\\]|\\.)*"'
entries = []
for m in re.finditer(r"\{\s*(" + LIT + r"(?:\s*(?:,\s*)?" + LIT + r")*)\s*,?\s*\}", body):
    fields, cur, last_end = [], None, None
    for lit in re.finditer(LIT + r"|,", m.group(1)):
        if lit.group(0) == ",":
            fields.append(cur)
            cur = None
            continue
        value = bytes(lit.group(0)[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        cur = value if cur is None else cur + value  # adjacent literals are concatenated
    fields.append(cur)
    fields = [f for f in fields if f is not None]
    if len(fields) == 4:
        entries.append(fields)
if len(entries) < 100:
    sys.exit(f"read only {len(entries)} entries from {src}; the table's layout changed")

if lang == "de":
    # German is a table of its own beside the main one: {"key", "text"} rows.
    de_src = open(src.replace("i18n.cpp", "i18n_de.cpp"), encoding="utf-8").read()
    de_src = re.sub(r"^\s*//.*$", "", de_src, flags=re.M)
    german = {}
    for m in re.finditer(r"\{\s*(" + LIT + r")\s*,\s*((?:" + LIT + r"\s*)+)\}", de_src):
        unq = lambda l: bytes(l[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        german[unq(m.group(1))] = "".join(unq(x) for x in re.findall(LIT, m.group(2)))
    entries = [[k, en, german.get(k, ""), ""] for k, en, *_ in entries]
col = {"nl": 2, "fr": 3, "de": 2}[lang]
report = re.sub(r"\s+", " ", open(report_path, encoding="utf-8").read())
problems = []
for key, en, *rest in entries:
    translated = rest[col - 2]
    if ("_" in key or "." in key) and re.search(r"(?<![\w./-])" + re.escape(key) + r"(?![\w/-])", report):
        problems.append(f"raw key {key!r}")
    if en == translated:
        continue
    for piece in re.split(r"\{\d+\}|\n", en):
        piece = re.sub(r"\s+", " ", piece).strip(" :;,.()")
        words = piece.split()
        if not (len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 8)):
            continue
        if piece in allow or piece in translated:
            continue
        if re.search(r"(?<![\w-])" + re.escape(piece) + r"(?![\w-])", report):
            problems.append(f"English text of {key!r}: {piece!r}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
