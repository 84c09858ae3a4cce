#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/ (invented texts only).

Deterministic: re-running it rewrites the same files. Needs pyarrow for the Parquet seeds
(`.venv/bin/python fuzz/make_seeds.py`); without it, those are left as they are.

Seeds stay small (a few KB each, well under 200 KB in all): they show the fuzzer the shapes of
its input, and the fuzzer grows its own corpus from them (in fuzz/work/, not committed).
"""

import gzip
import io
import json
import shutil
import sys
import zlib
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
CORPUS = FUZZ / "corpus"

# ---------------------------------------------------------------------------------------------
# Texts (invented)

NEWS = [
    "Opposition councillors have called for Cllr Jo Bell to resign over the housing contract.\n\n"
    "\u201cShe has lost the confidence of this chamber,\u201d said Cllr Amir Khan, leader of the Liberal "
    "Democrat group. \u201cThe only honourable course is to step down.\u201d\n\n"
    "A spokesperson for the council said the leader \u201cacted properly at every stage\u201d and would "
    "not be resigning.\n\n"
    "Ms Bell said: \u201cI will not be hounded out of office by people who never read the report.\u201d",
    "The mayor, Peter Okafor, rejected calls to quit on Tuesday. Labour said he should go.\n"
    "\"This is a witch hunt,\" he told reporters outside City Hall. \"I have done nothing wrong.\"\n"
    "Mr. Okafor's deputy, Dr. Sarah Lind, defended him, saying the claims were 'baseless'.",
    "\u00abIl doit d\u00e9missionner\u00bb, a d\u00e9clar\u00e9 le d\u00e9put\u00e9 Marc Roussel. "
    "\u201eEr muss zur\u00fccktreten\u201c, sagte die Abgeordnete Anna Vogt.",
    "Cllr Tom Reyes (Con, Northfield ward) said the council leader \u2018must consider her position\u2019 "
    "after the vote \u2014 a call echoed by the Green Party.\n\n\u201cEnough is enough,\u201d he added.",
    "The union's general secretary urged the chief executive to stand down. The company said "
    "its chief executive retained the full support of the board.",
]

ODD = [
    "",
    " ",
    "\n\n\n",
    "\r\r\r\"quoted\"\rhe said.\r",
    "\u201ca\u201d " * 64,
    "\u201cgo\u201d and " * 48,
    "\u00ab" * 200,
    "\u201d\u201c" * 100,
    "\"\"\"\"'''''\u2018\u2019\u201c\u201d\u00ab\u00bb\u201e\u201a\u2039\u203a",
    "\u201cGo now,\u201d he said.\n\n" * 24,
    "\u201cUnclosed quote that runs on and on, said the leader" + " and on" * 40,
    "\u05d0\u05de\u05e8 \u05e8\u05d0\u05e9 \u05d4\u05e2\u05d9\u05e8: \u201c\u05e2\u05dc\u05d9\u05d5 "
    "\u05dc\u05d4\u05ea\u05e4\u05d8\u05e8\u201d. \u0642\u0627\u0644 \u0627\u0644\u0648\u0632\u064a\u0631 "
    "\u00ab\u064a\u062c\u0628 \u0623\u0646 \u064a\u0633\u062a\u0642\u064a\u0644\u00bb.",
    "\U0001F600 \u201cResign now \U0001F44B\U0001F3FD,\u201d tweeted Cllr \U0001F9D1\u200d\U0001F4BC Bell.",
    "NUL\x00in\x00the \u201cmiddle\x00\u201d said Jo\x00.",
    "e\u0301\u0301\u0301 \u201cZ\u0351\u0352\u0353algo\u201d said Cllr A\u0308nne.",
    "Mr. Dr. Prof. Cllr. Sir Lady Baroness U.S. U.K. e.g. i.e. ... \u2026 said:",
    "\"He said 'she said \u201cthey said \u2018we said\u2019\u201d' '\" said Jo Bell.",
    "a" * 3000,
    "said said said said called for called for to resign to resign step down quit",
    "\ufeff\u201cA BOM first,\u201d she said.",
    "\u2028\u2029\u0085\u000b\u000c \u201cSeparators\u201d\u2028he said.",
    "\ud7ff\ue000\uffff\U0010ffff \u201c\U0001D400\u201d said X.",
    "<p>\u201cTags are text here,\u201d said <b>Cllr Bell</b>.</p>",
]

SHORT = [
    "\u201cResign,\u201d said Cllr Jo Bell.",
    "Labour called for Cllr Jo Bell to resign.",
    "\"No,\" he said.",
    "She must go, the mayor said.",
    "\u00ab\u00bb",
    "Mr. Okafor rejected the calls.",
    "\u201c\U0001F600\u201d said \u05d0.",
]


def write(target: str, name: str, data: bytes | str) -> None:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (d / name).write_bytes(data)


def texts() -> None:
    for i, t in enumerate(NEWS):
        write("annotate_rules", f"news-{i}.txt", t)
    for i, t in enumerate(ODD):
        write("annotate_rules", f"odd-{i:02}.txt", t)
    # lossy UTF-8: invalid bytes become U+FFFD
    write("annotate_rules", "invalid-utf8.txt", b"\xff\xfe\x80 \xe2\x80\x9cq\xe2\x80 said \xc3\x28 Jo.")
    for i, t in enumerate(SHORT):
        write("annotate_models", f"short-{i}.txt", t)


# ---------------------------------------------------------------------------------------------
# JSONL


def jsonl() -> None:
    records = [{"id": f"a{i}", "text": t} for i, t in enumerate(NEWS)]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    write("jsonl_reader", "news.jsonl", lines)
    write(
        "jsonl_reader",
        "fields.jsonl",
        json.dumps({"id": 7, "text": SHORT[0], "title": "T", "url": "https://news.example/a", "date": "2024-05-01",
                    "source": "Example Gazette"}) + "\n",
    )
    write("jsonl_reader", "bom.jsonl", "\ufeff" + json.dumps({"id": "b", "text": "x."}) + "\n")
    odd = [
        "",
        "   ",
        '{"id": "x", "text": "ok"}',
        "{not json",
        "[1, 2]",
        '"a string"',
        '{"id": "n", "text": null}',
        '{"id": "m"}',
        '{"id": "t", "text": 5}',
        '{"id": 1.5e3, "text": "num id"}',
        '{"id": {"deep": [1]}, "text": "obj id"}',
        '{"id": "u", "text": "\\ud800 lone surrogate"}',
        '{"id": "dup", "text": "a", "text": "b"}',
        '{"id": "long", "text": "' + "long line " * 20 + '"}',
        '{"id": "w", "text": "tail"}   \t',
    ]
    write("jsonl_reader", "odd.jsonl", "\n".join(odd) + "\n")
    write("jsonl_reader", "crlf.jsonl", '{"id": "c", "text": "crlf"}\r\n\r\n{"id": "d", "text": "e"}\r\n')
    write("jsonl_reader", "no-newline.jsonl", '{"id": "c", "text": "last line without newline"}')
    write("jsonl_reader", "not-utf8.jsonl", b'{"id": "bad", "text": "\xff\xfe"}\n{"id": "ok", "text": "y"}\n')
    write("jsonl_reader", "nul.jsonl", b'{"id": "z", "text": "a\\u0000b"}\n\x00\x00\n')
    write("jsonl_reader", "news.jsonl.gz", gzip.compress(lines.encode(), mtime=0))
    # two gzip members: MultiGzDecoder reads both
    two = gzip.compress(b'{"id": "g1", "text": "one"}\n', mtime=0) + gzip.compress(b'{"id": "g2", "text": "two"}\n', mtime=0)
    write("jsonl_reader", "members.jsonl.gz", two)
    write("jsonl_reader", "truncated.jsonl.gz", gzip.compress(lines.encode(), mtime=0)[:60])
    try:
        import pyarrow as pa

        write("jsonl_reader", "news.jsonl.zst", pa.compress(lines.encode(), codec="zstd", asbytes=True))
    except ImportError:
        pass


# ---------------------------------------------------------------------------------------------
# HTML

ARTICLE_BODY = "".join(f"<p>{t}</p>\n" for t in NEWS[0].split("\n\n"))


def page(body: str, head: str = "", title: str = "Council leader faces calls to resign") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title>{head}</head>\n<body>{body}</body></html>\n"
    )


META = (
    '<meta property="og:site_name" content="Example Gazette">'
    '<meta property="article:published_time" content="2024-05-01T09:30:00Z">'
    '<meta name="author" content="A. Reporter">'
)

HTML_PAGES = {
    "article.html": page(
        "<header><nav><a href=\"/\">Home</a> | <a href=\"/news\">News</a></nav></header>"
        f"<main><article><h1>Council leader faces calls to resign</h1>{ARTICLE_BODY}</article></main>"
        "<aside><ul><li><a href=\"/x\">Most read</a></li></ul></aside><footer>\u00a9 Example</footer>",
        META,
    ),
    "minimal.html": "<p>\u201cGo,\u201d she said.</p>",
    "no-article.html": page("<nav><a href=\"/a\">A</a><a href=\"/b\">B</a></nav>"),
    "empty.html": "",
    "scripts.html": page(
        "<script>var s = '</p><p>not text';</script><style>p{color:red}</style>"
        "<!-- <div><div><div> a comment --><noscript>enable js</noscript>"
        f"<div class=\"content\">{ARTICLE_BODY}</div><textarea><b>raw</b></textarea>"
    ),
    "nested.html": page("<div>" * 60 + ARTICLE_BODY + "</div>" * 60),
    "unclosed.html": "<html><body><div><p>\u201cUnclosed,\u201d he said.<div><span><b><i>" + ARTICLE_BODY,
    "tables.html": page(
        "<table><tr><td>" + "</td><td>".join(NEWS[1].split(". ")) + "</td></tr></table>" + ARTICLE_BODY
    ),
    "entities.html": page(
        "<article><p>&ldquo;Quit now&rdquo;, said Cllr O&#39;Neill &amp; co. &#x201C;No&#x201D; &nbsp;&bogus; "
        "&#0; &#xD800; &#1114112;</p>" + ARTICLE_BODY + "</article>"
    ),
    "links.html": page(
        "<article>" + ARTICLE_BODY + "<p><a href=\"relative/path\">rel</a> <a href=\"//cdn.example/x\">proto</a>"
        "<a href=\"javascript:alert(1)\">js</a><img src=\"data:image/png;base64,AAAA\" srcset=\"a.png 1x, b.png 2x\">"
        "</p></article>",
        '<base href="https://other.example/dir/">',
    ),
    "jsonld.html": page(
        "<article>" + ARTICLE_BODY + "</article>",
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Calls to resign", '
        '"datePublished": "2024-05-01", "author": {"name": "A. Reporter"}, "publisher": {"name": "Gazette"}}</script>',
    ),
    "xhtml.xhtml": '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>'
    + NEWS[3] + "</p></body></html>",
}


def html() -> None:
    for name, text in HTML_PAGES.items():
        write("html_extract", name, text)
    # charsets: a <meta> charset in latin-1 and in windows-1252, a UTF-16 byte-order mark, a bogus label
    latin = page(
        "<article><p>\u00abIl doit d\u00e9missionner\u00bb, a d\u00e9clar\u00e9 Marc Roussel.</p>" + ARTICLE_BODY.replace(
            "\u201c", '"').replace("\u201d", '"').replace("\u2019", "'") + "</article>"
    ).replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
    write("html_extract", "latin1.html", latin.encode("latin-1"))
    cp = page("<article><p>\u201cResign,\u201d said Cllr Bell \u2013 twice.</p></article>").replace(
        'charset="utf-8"', 'charset="windows-1252"')
    write("html_extract", "cp1252.html", cp.encode("cp1252"))
    write("html_extract", "utf16.html", b"\xff\xfe" + page("<article>" + ARTICLE_BODY + "</article>").encode("utf-16-le"))
    write("html_extract", "bogus-charset.html", page("<p>x</p>").replace('charset="utf-8"', 'charset="no-such"'))
    write("html_extract", "invalid-utf8.html", page("<p>bad \udcff bytes</p>").encode("utf-8", "surrogateescape"))


# ---------------------------------------------------------------------------------------------
# WARC


def http(body: bytes, headers: list[tuple[str, str]] | None = None, status: str = "200 OK") -> bytes:
    if headers is None:
        headers = [("Content-Type", "text/html; charset=utf-8")]
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode() + body


def record(kind: str, block: bytes, n: int, uri: str = "https://news.example/a", extra: str = "",
           content_type: str | None = "application/http; msgtype=response", length: int | None = None) -> bytes:
    head = (
        "WARC/1.0\r\n"
        f"WARC-Type: {kind}\r\n"
        f"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-{n:012d}>\r\n"
        "WARC-Date: 2024-05-01T10:00:00Z\r\n"
        f"WARC-Target-URI: {uri}\r\n"
    )
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    head += extra
    head += f"Content-Length: {len(block) if length is None else length}\r\n\r\n"
    return head.encode() + block + b"\r\n\r\n"


def chunked(body: bytes, size: int = 100) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def warc() -> None:
    art = page("<article>" + ARTICLE_BODY + "</article>", META).encode()
    small = page("<article><p>\u201cGo,\u201d she said to the mayor, Peter Okafor.</p></article>").encode()
    info = record("warcinfo", b"software: invented\r\nformat: WARC File Format 1.0\r\n", 0, content_type="application/warc-fields")
    req = record("request", b"GET /a HTTP/1.1\r\nHost: news.example\r\n\r\n", 1, content_type="application/http; msgtype=request")
    resp = record("response", http(art), 2)
    write("warc_reader", "crawl.warc", info + req + resp)
    # per-record gzip, as CC-NEWS
    write("warc_reader", "crawl.warc.gz", b"".join(gzip.compress(r, mtime=0) for r in (info, req, resp)))
    variants = [
        record("response", http(chunked(small), [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")]), 3),
        record("response", http(gzip.compress(small, mtime=0), [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]), 4),
        record("response", http(zlib.compress(small), [("Content-Type", "text/html"), ("Content-Encoding", "deflate")]), 5),
        record("response", http(zlib.compress(small)[2:-4], [("Content-Encoding", "deflate")]), 6),  # raw deflate
        record("response", http(small, [("Content-Type", "application/json")]), 7),
        record("response", http(small, status="404 Not Found"), 8),
        record("response", http(small, []), 9),  # no Content-Type: sniffed
        record("response", http(small.decode().replace("utf-8", "iso-8859-1").replace("\u201c", "\u00ab").replace("\u201d", "\u00bb")
                                 .encode("latin-1"),
                                 [("Content-Type", "text/html; charset=ISO-8859-1")]), 10),
        record("response", b"not an http response", 11),
        record("response", http(small), 12, content_type="text/html"),
        record("revisit", http(b""), 13, extra="WARC-Profile: http://netpreserve.org/warc/1.0/revisit/identical-payload-digest\r\n"),
        record("metadata", b"fetchTimeMs: 12\r\n", 14, content_type="application/warc-fields"),
        record("response", http(small, [("Content-Type", "text/html"), ("Content-Encoding", "br")]), 15),
    ]
    write("warc_reader", "variants.warc", b"".join(variants))
    no_type = record("response", http(small), 16).replace(b"WARC-Type: response\r\n", b"")
    no_id = record("response", http(small), 17).replace(b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000017>\r\n", b"")
    write("warc_reader", "missing-fields.warc", no_type + no_id)
    write("warc_reader", "truncated.warc", record("response", http(art), 18)[:400])
    write("warc_reader", "short-length.warc", record("response", http(small), 19, length=10) + resp)
    write("warc_reader", "huge-length.warc", record("response", http(small), 20, length=10**12))
    lf_block = http(small).replace(b"\r\n", b"\n")
    lf = record("response", lf_block, 21)
    write("warc_reader", "lf-only.warc", lf[: -len(lf_block) - 4].replace(b"\r\n", b"\n") + lf_block + b"\n\n")
    write("warc_reader", "bad-header.warc", b"WARC/1.0\r\nthis is not a header\r\n\r\n")
    write("warc_reader", "garbage.warc", b"\r\n\r\n\x00\x01\x02 not warc at all\n")
    # whole-file gzip (one member)
    write("warc_reader", "whole.warc.gz", gzip.compress(info + resp, mtime=0))


# ---------------------------------------------------------------------------------------------
# Parquet


def parquet() -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        print("pyarrow missing: Parquet seeds left as they are", file=sys.stderr)
        return
    shutil.rmtree(CORPUS / "parquet_reader", ignore_errors=True)

    def put(name: str, table, **kw) -> None:
        buf = io.BytesIO()
        pq.write_table(table, buf, **kw)
        write("parquet_reader", name, buf.getvalue())

    ids = [f"a{i}" for i in range(len(NEWS))]
    short = [t[:120] for t in NEWS]
    put("news.parquet", pa.table({"id": ids, "text": short, "title": ["T"] * len(ids),
                                  "url": ["https://news.example/a"] * len(ids), "source": ["Gazette"] * len(ids)}))
    put("int-id.parquet", pa.table({"id": pa.array([1, 2, 3], pa.int64()), "text": ["x.", "y.", "z."]}),
        compression="zstd")
    put("binary-text.parquet", pa.table({"id": ["b1", "b2"], "text": pa.array([b"ok", b"\xff\xfe"], pa.binary())}),
        compression="gzip")
    put("nulls.parquet", pa.table({"id": ["n1", None, "n3"], "text": ["x", "y", None]}), compression="lz4")
    put("dates.parquet", pa.table({
        "id": ["d1", "d2"], "text": ["a", "b"],
        "date": pa.array([0, 1714555800000000], pa.timestamp("us", tz="UTC")),
    }), compression="snappy")
    put("date32.parquet", pa.table({"id": ["d1"], "text": ["a"], "date": pa.array([19844], pa.date32())}),
        compression="none")
    put("row-groups.parquet", pa.table({"id": [f"r{i}" for i in range(12)], "text": ["t"] * 12}),
        row_group_size=3, compression="none")
    put("no-text.parquet", pa.table({"id": ["x"], "body": ["no text column"]}))
    put("bad-type.parquet", pa.table({"id": ["x"], "text": pa.array([1.5], pa.float64())}))
    put("empty.parquet", pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}))
    put("large-types.parquet", pa.table({"id": pa.array(["l"], pa.large_string()), "text": pa.array(["lt"], pa.large_string())}),
        use_dictionary=False, compression="none")
    put("v1-pages.parquet", pa.table({"id": ["v"], "text": ["v1 data pages"]}), data_page_version="1.0",
        use_dictionary=False, compression="none")
    write("parquet_reader", "not-parquet.parquet", b"PAR1 this is not parquet PAR1")
    write("parquet_reader", "empty-file.parquet", b"")


def main() -> None:
    if CORPUS.exists():
        for target in ("annotate_rules", "annotate_models", "jsonl_reader", "warc_reader", "html_extract"):
            shutil.rmtree(CORPUS / target, ignore_errors=True)
    texts()
    jsonl()
    html()
    warc()
    parquet()
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    count = sum(1 for p in CORPUS.rglob("*") if p.is_file())
    print(f"{count} seed files, {total} bytes")


if __name__ == "__main__":
    main()
