#!/usr/bin/env python3
"""The real-copy set (data/real): add texts, build gold from drafts, check, count.

The texts are third-party and stay in git-ignored folders (data/real/articles,
data/real/drafts, data/real/inbox); the repository holds the manifest and the
gold files, which index the texts by code-point offsets.

    tools/real.py add --url URL --query Q --group controversy|ordinary --topic T \
                      --country CC --outlet NAME --file data/real/inbox/x.txt
        checks the url against ../shared/eval/excluded.py, the text against the
        five ../shared/dev articles, then moves the text to articles/ID.txt and
        appends its manifest line (id from the url; split from a hash of the url)
    tools/real.py build [ID ...]        drafts/ID.json -> gold/ID.json (offsets found
                                        from quoted strings; every span checked)
    tools/real.py show ID [--gold DIR]  the text with each gold span marked [n[ ... ]n]
    tools/real.py check [--quiet] [--dir DIR] [--fix]
                                        which texts are present with the manifest's sha256
    tools/real.py stats [--json]        the set's counts (the data card's table)
    tools/real.py agreement [--first DIR --second DIR]
                                        two independent annotations: span F1, speaker
                                        agreement, Cohen's kappa for stance

Draft format (data/real/drafts/ID.json), quotes in text order:
    {"quotes": [{"quote": EXACT SPAN TEXT | "begin": FIRST WORDS, "end": LAST WORDS,
                 "skip": 0, "kind", "speaker", "speaker_mention", "stance",
                 "target", "why"}],
     "resignation_calls": [{"caller", "target"}], "persons": [...], "orgs": [...]}
A quote is looked for from the end of the previous quote; "skip": n passes over
n earlier matches.
"""
import argparse
import collections
import fcntl
import hashlib
import json
import pathlib
import re
import subprocess
import sys
import unicodedata
from urllib.parse import urlsplit

ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "real"
MANIFEST = REAL / "manifest.jsonl"
SHARED = ROOT.parent / "shared"
STANCES = ("call_to_resign", "defence", "rebuttal", "other")
KINDS = ("direct", "indirect")
GROUPS = ("controversy", "ordinary")
OPEN_MARKS = "\"“”'‘’«»„‚‹›`"
SPLITS = (("train", 50), ("dev", 70), ("test", 100))


def norm_url(url):
    """The same normalisation as ../shared/eval/excluded.py."""
    u = urlsplit(url.strip() if "//" in url else "//" + url.strip())
    host = u.netloc.lower()
    if host.startswith("www."):
        host = host[4:]
    return host + u.path.rstrip("/")


def url_hash(url):
    return hashlib.sha256(norm_url(url).encode("utf-8")).hexdigest()


def split_of(url):
    bucket = int(url_hash(url)[:8], 16) % 100
    return next(name for name, upper in SPLITS if bucket < upper)


def article_id(url, country):
    return f"{country.lower()}_{url_hash(url)[:12]}"


def read_manifest():
    if not MANIFEST.exists():
        return []
    return [json.loads(line) for line in MANIFEST.read_text().splitlines() if line.strip()]


def invisible_chars(text):
    """[offset, "U+XXXX"] of each space or format character other than " " and "\n" (a no-break
    space looks like a space in a search excerpt, and a file tool may write it as one)."""
    odd = ("Zs", "Cf", "Cc", "Zl", "Zp")
    return [[i, f"U+{ord(c):04X}"] for i, c in enumerate(text) if unicodedata.category(c) in odd and c not in " \n"]


def restore_invisible(path, row):
    """Puts the manifest's invisible characters back into a restored text whose sha256 differs
    only by them; True when the text then matches."""
    text = path.read_text(encoding="utf-8")
    if len(text) != row["chars"] or not row.get("invisible"):
        return False
    chars = list(text)
    for offset, code in row["invisible"]:
        chars[offset] = chr(int(code[2:], 16))
    fixed = "".join(chars).encode("utf-8")
    if hashlib.sha256(fixed).hexdigest() != row["sha256"]:
        return False
    path.write_bytes(fixed)
    return True


def sha256_file(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_excluded(url):
    script = SHARED / "eval" / "excluded.py"
    out = subprocess.run([sys.executable, str(script), url], capture_output=True, text=True)
    return out.returncode != 0


def dev_duplicate(text):
    """The name of a ../shared/dev article that shares a 120-character run with text."""
    dev = SHARED / "dev" / "articles"
    squash = lambda s: re.sub(r"\s+", " ", s).strip()
    probe = squash(text)
    probes = {probe[i : i + 120] for i in range(0, max(1, len(probe) - 120), 200)}
    for path in sorted(dev.glob("*.txt")) if dev.exists() else []:
        other = squash(path.read_text(encoding="utf-8"))
        if any(p and p in other for p in probes):
            return path.stem
    return None


def cmd_add(args):
    if args.group not in GROUPS:
        sys.exit(f"--group must be one of {GROUPS}")
    src = pathlib.Path(args.file)
    raw = src.read_bytes()
    text = raw.decode("utf-8")
    if not text.strip():
        sys.exit("empty text")
    if is_excluded(args.url):
        sys.exit(f"excluded: {args.url} is reserved for the external measure; pick another article")
    dup = dev_duplicate(text)
    if dup:
        sys.exit(f"this text repeats ../shared/dev article {dup}; pick another article")
    aid = article_id(args.url, args.country)
    REAL.joinpath("articles").mkdir(parents=True, exist_ok=True)
    line = {
        "id": aid,
        "url": args.url,
        "query": args.query,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "chars": len(text),
        "group": args.group,
        "split": split_of(args.url),
        "topic": args.topic,
        "country": args.country.upper(),
        "outlet": args.outlet,
        "invisible": invisible_chars(text),
    }
    with open(MANIFEST, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        known = {norm_url(json.loads(l)["url"]) for l in fh.read().splitlines() if l.strip()}
        if norm_url(args.url) in known:
            sys.exit(f"already in the manifest: {args.url}")
        REAL.joinpath("articles", aid + ".txt").write_bytes(raw)
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    src.unlink()
    print(aid)


# ---- build -------------------------------------------------------------------------------------


def locate(text, q, cursor):
    """(start, end) of a draft quote, searching from cursor."""
    skip = int(q.get("skip", 0))
    if "quote" in q:
        needle = q["quote"]
        pos = cursor
        for _ in range(skip + 1):
            start = text.find(needle, pos)
            if start < 0:
                raise ValueError(f"quote not found after offset {cursor}: {needle[:60]!r}")
            pos = start + 1
        return start, start + len(needle)
    if "begin" in q and "end" in q:
        pos = cursor
        for _ in range(skip + 1):
            start = text.find(q["begin"], pos)
            if start < 0:
                raise ValueError(f"begin not found after offset {cursor}: {q['begin'][:60]!r}")
            pos = start + 1
        stop = text.find(q["end"], start)
        if stop < 0:
            raise ValueError(f"end not found after begin: {q['end'][:60]!r}")
        return start, stop + len(q["end"])
    raise ValueError("a draft quote needs 'quote', or 'begin' and 'end'")


def check_span(text, start, end, kind):
    """Problems with one span under the shared conventions."""
    span = text[start:end]
    issues = []
    if not span or span != span.strip():
        issues.append("span starts or ends with whitespace")
    if kind == "direct":
        # a mark may stand one space away (a typo in the source: the space is left out of the span)
        before = text[max(0, start - 2) : start].replace(" ", "")[-1:]
        after = text[end : end + 2].lstrip(" ")[:1]
        if start > 0 and before not in OPEN_MARKS and not opens_paragraph(text, start):
            issues.append(f"direct span not preceded by a quote mark (got {text[start - 1]!r})")
        if after and after not in OPEN_MARKS and after != "\n" and text[end:].strip():
            issues.append(f"direct span not followed by a quote mark (got {text[end]!r})")
    return issues


def opens_paragraph(text, start):
    """A speech paragraph whose opening mark the source left out: only indentation before it."""
    line_start = text.rfind("\n", 0, start) + 1
    return line_start > 0 and not text[line_start:start].strip()


def build_one(aid, text, drafts):
    draft = json.loads(drafts.joinpath(aid + ".json").read_text(encoding="utf-8"))
    quotes, errors, cursor = [], [], 0
    for i, q in enumerate(draft.get("quotes", [])):
        try:
            start, end = locate(text, q, cursor)
        except ValueError as err:
            errors.append(f"quote {i}: {err}")
            continue
        kind, stance = q.get("kind"), q.get("stance")
        if kind not in KINDS:
            errors.append(f"quote {i}: kind {kind!r}")
        if stance not in STANCES:
            errors.append(f"quote {i}: stance {stance!r}")
        if stance != "other" and not q.get("target"):
            errors.append(f"quote {i}: stance {stance} needs a target")
        if not q.get("speaker"):
            errors.append(f"quote {i}: no speaker")
        if quotes and start < quotes[-1]["end"]:
            errors.append(f"quote {i}: overlaps the previous span")
        errors += [f"quote {i}: {p}" for p in check_span(text, start, end, kind)]
        cursor = end
        quotes.append(
            {
                "start": start,
                "end": end,
                "kind": kind,
                "speaker": q.get("speaker"),
                "speaker_mention": q.get("speaker_mention", ""),
                "stance": stance,
                "target": q.get("target"),
                "why": q.get("why", ""),
            }
        )
    gold = {
        "id": aid,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "quotes": quotes,
        "resignation_calls": draft.get("resignation_calls", []),
        "persons": draft.get("persons", []),
        "orgs": draft.get("orgs", []),
    }
    for call in gold["resignation_calls"]:
        if not call.get("caller") or not call.get("target"):
            errors.append(f"resignation call without caller or target: {call}")
    return gold, errors


def cmd_build(args):
    drafts = pathlib.Path(args.drafts) if args.drafts else REAL / "drafts"
    ids = args.ids or sorted(p.stem for p in drafts.glob("*.json"))
    out_dir = pathlib.Path(args.out) if args.out else REAL / "gold"
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for aid in ids:
        text_path = REAL / "articles" / (aid + ".txt")
        if not text_path.exists():
            print(f"{aid}: no text at {text_path}")
            failed += 1
            continue
        gold, errors = build_one(aid, text_path.read_text(encoding="utf-8"), drafts)
        for e in errors:
            print(f"{aid}: {e}")
        if errors and not args.force:
            failed += 1
            continue
        out_dir.joinpath(aid + ".json").write_text(json.dumps(gold, indent=1, ensure_ascii=False) + "\n")
    print(f"built {len(ids) - failed} of {len(ids)}")
    return 1 if failed else 0


def cmd_show(args):
    text = REAL.joinpath("articles", args.id + ".txt").read_text(encoding="utf-8")
    gold_dir = pathlib.Path(args.gold) if args.gold else REAL / "gold"
    gold = json.loads(gold_dir.joinpath(args.id + ".json").read_text(encoding="utf-8"))
    out, pos = [], 0
    for n, q in enumerate(gold["quotes"]):
        out += [text[pos : q["start"]], f"[{n}[", text[q["start"] : q["end"]], f"]{n}]"]
        pos = q["end"]
    out.append(text[pos:])
    print("".join(out))
    print("\n----")
    for n, q in enumerate(gold["quotes"]):
        print(f"{n}: {q['kind']:8} {q['stance']:14} speaker={q['speaker']!r} target={q['target']!r} mention={q['speaker_mention']!r}")
    print("calls:", gold["resignation_calls"])
    print("persons:", gold["persons"])


def cmd_check(args):
    rows = read_manifest()
    present = valid = 0
    folder = pathlib.Path(args.dir) if args.dir else REAL / "articles"
    for row in rows:
        path = folder / (row["id"] + ".txt")
        if not path.exists():
            if not args.quiet:
                print(f"missing  {row['id']}  {row['url']}")
            continue
        present += 1
        if sha256_file(path) == row["sha256"] or (args.fix and restore_invisible(path, row)):
            valid += 1
        elif not args.quiet:
            print(f"changed  {row['id']}  (sha256 differs from the manifest)")
    gold_missing = [r["id"] for r in rows if not (REAL / "gold" / (r["id"] + ".json")).exists()]
    print(f"{len(rows)} in the manifest, {present} present, {valid} valid (sha256 matches), {len(gold_missing)} without gold")
    return 0 if valid == len(rows) else 1


def cmd_stats(args):
    rows = read_manifest()
    quotes_kind, stance, calls = collections.Counter(), collections.Counter(), 0
    per_split = collections.defaultdict(collections.Counter)
    for row in rows:
        path = REAL / "gold" / (row["id"] + ".json")
        if not path.exists():
            continue
        gold = json.loads(path.read_text(encoding="utf-8"))
        for q in gold["quotes"]:
            quotes_kind[q["kind"]] += 1
            stance[q["stance"]] += 1
            per_split[row["split"]][q["stance"]] += 1
        calls += len(gold["resignation_calls"])
        per_split[row["split"]]["articles"] += 1
        per_split[row["split"]]["quotes"] += len(gold["quotes"])
    stats = {
        "articles": len(rows),
        "quotes": sum(quotes_kind.values()),
        "quotes_by_kind": dict(quotes_kind),
        "stance": dict(stance),
        "resignation_calls": calls,
        "outlets": len({r["outlet"] for r in rows}),
        "countries": dict(collections.Counter(r["country"] for r in rows)),
        "groups": dict(collections.Counter(r["group"] for r in rows)),
        "topics": dict(collections.Counter(r["topic"] for r in rows)),
        "splits": {k: dict(v) for k, v in sorted(per_split.items())},
        "split_articles": dict(collections.Counter(r["split"] for r in rows)),
        "chars": sum(r["chars"] for r in rows),
    }
    if args.json:
        print(json.dumps(stats, indent=1))
        return
    for key, value in stats.items():
        print(f"{key}: {value}")


def kappa(pairs):
    """Cohen's kappa of two label sequences given as (a, b) pairs."""
    n = len(pairs)
    if not n:
        return 0.0
    observed = sum(a == b for a, b in pairs) / n
    ca = collections.Counter(a for a, _ in pairs)
    cb = collections.Counter(b for _, b in pairs)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def cmd_agreement(args):
    """Two independent annotations of the same articles: span F1, speaker agreement, stance kappa."""
    sys.path.insert(0, str(SHARED / "eval"))
    from score import match_quotes, same_agent

    first, second = pathlib.Path(args.first), pathlib.Path(args.second)
    n1 = n2 = matched = speaker_ok = 0
    stance_pairs, calls = [], collections.Counter()
    ids = sorted(p.stem for p in second.glob("*.json") if first.joinpath(p.name).exists())
    for aid in ids:
        a = json.loads(first.joinpath(aid + ".json").read_text(encoding="utf-8"))
        b = json.loads(second.joinpath(aid + ".json").read_text(encoding="utf-8"))
        pairs = match_quotes(a["quotes"], b["quotes"], 0.5)
        n1, n2, matched = n1 + len(a["quotes"]), n2 + len(b["quotes"]), matched + len(pairs)
        for i, j in pairs:
            qa, qb = a["quotes"][i], b["quotes"][j]
            speaker_ok += same_agent(qa["speaker"], qb["speaker"])
            stance_pairs.append((qa["stance"], qb["stance"]))
        ca = [(c["caller"], c["target"]) for c in a["resignation_calls"]]
        cb = [(c["caller"], c["target"]) for c in b["resignation_calls"]]
        hit = sum(any(same_agent(x[0], y[0]) and same_agent(x[1], y[1]) for y in cb) for x in ca)
        calls["a"], calls["b"], calls["both"] = calls["a"] + len(ca), calls["b"] + len(cb), calls["both"] + hit
    result = {
        "articles": len(ids),
        "quotes_first": n1,
        "quotes_second": n2,
        "matched": matched,
        "span_f1": 2 * matched / (n1 + n2) if n1 + n2 else 0.0,
        "speaker_agreement": speaker_ok / matched if matched else 0.0,
        "stance_agreement": sum(x == y for x, y in stance_pairs) / len(stance_pairs) if stance_pairs else 0.0,
        "stance_kappa": kappa(stance_pairs),
        "calls_f1": 2 * calls["both"] / (calls["a"] + calls["b"]) if calls["a"] + calls["b"] else 1.0,
    }
    print(json.dumps(result, indent=1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("add")
    for flag in ("url", "query", "group", "topic", "country", "outlet", "file"):
        a.add_argument("--" + flag, required=True)
    b = sub.add_parser("build")
    b.add_argument("ids", nargs="*")
    b.add_argument("--out", help="gold folder (default data/real/gold)")
    b.add_argument("--drafts", help="drafts folder (default data/real/drafts)")
    b.add_argument("--force", action="store_true", help="write gold files that have problems")
    s = sub.add_parser("show")
    s.add_argument("id")
    s.add_argument("--gold")
    c = sub.add_parser("check")
    c.add_argument("--quiet", action="store_true")
    c.add_argument("--dir", help="the texts' folder (default data/real/articles)")
    c.add_argument(
        "--fix",
        action="store_true",
        help="put the manifest's invisible characters (no-break spaces) back into texts that differ only by them",
    )
    t = sub.add_parser("stats")
    t.add_argument("--json", action="store_true")
    g = sub.add_parser("agreement")
    g.add_argument("--first", default=str(REAL / "gold"))
    g.add_argument("--second", default=str(REAL / "agreement"))
    args = ap.parse_args(argv)
    fn = {"agreement": cmd_agreement, "add": cmd_add, "build": cmd_build, "show": cmd_show, "check": cmd_check, "stats": cmd_stats}[args.cmd]
    return fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
