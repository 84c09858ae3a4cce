#!/usr/bin/env python3
"""PolNeAR (US 2016 election news, attribution relations) in the shared gold format, and its score.

PolNeAR has no licence file: it may measure quotestance, never train shipped
weights, and its data never enters the repository (data/polnear is git-ignored).
Only its train and dev splits are converted; the test split is refused.

Restore (a session with the search tool's fetch, or any clone of the repository):
    git --git-dir=PATH/TO/PolNeAR.git archive HEAD data/train/text data/train/attributions \
        data/dev/text data/dev/attributions | tar -x -C data/polnear/src
    python3 tools/polnear.py convert --src data/polnear/src --out data/polnear

convert writes OUT/SPLIT/articles/ID.txt and OUT/SPLIT/gold/ID.json. One
annotation per article (the first annotator's file in sorted order). Each
attribution's content becomes:
  - one direct span per quoted fragment inside it (text between a pair of
    quote marks), as the shared conventions ask for mixed clauses;
  - else one indirect span (the whole content).
The gold speaker is the whole Source phrase ("Rep. Jane Roe, a Democrat from
Ohio"); `named` says whether it holds a capitalised name word.

score reports, on direct spans with a named source (the measure the
attribution issue sets):
  - recall (greedy one-to-one Jaccard >= 0.5 matching, as the shared scorer);
  - speaker accuracy: the predicted speaker's surname is a word of the gold
    Source phrase, not followed there by 's;
and, for reference, the precision of predicted direct quotes against all gold
direct spans.
"""
import argparse
import collections
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent / "shared" / "eval"))

MARK_PAIRS = {"“": "”", '"': '"', "«": "»"}
NOT_NAMES = {
    "the", "a", "an", "he", "she", "they", "it", "we", "i", "you", "his", "her", "their", "our",
    "its", "this", "that", "these", "those", "some", "many", "one", "two", "several", "both",
    "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "president", "according", "but", "and",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "officials", "aides", "sources", "critics", "analysts", "experts",
}


def parse_ann(text):
    """{T id: (type, [(start, end)], text)} and the attribution events [{role: T id}]."""
    spans, events = {}, []
    for line in text.splitlines():
        if line.startswith("T"):
            fields = line.split("\t")
            if len(fields) < 2:
                continue
            tid, meta = fields[0], fields[1]
            words = fields[2] if len(fields) > 2 else ""
            kind, _, ranges = meta.partition(" ")
            parts = [tuple(int(x) for x in r.split()) for r in ranges.split(";")]
            spans[tid] = (kind, parts, words)
        elif line.startswith("E"):
            _, roles = line.split("\t", 1)
            event = {}
            for role in roles.split():
                name, _, tid = role.partition(":")
                event[name] = tid
            events.append(event)
    return spans, events


def quoted_fragments(text, start, end):
    """(s, e) of each text between a pair of quote marks inside [start, end)."""
    out, i = [], start
    while i < end:
        close = MARK_PAIRS.get(text[i])
        if close is None:
            i += 1
            continue
        j = text.find(close, i + 1, end + 1)
        if j < 0:
            j = end  # the speech runs on past the content's end (or to a later paragraph)
        s, e = i + 1, j
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if len(text[s:e].split()) >= 2:
            out.append((s, e))
        i = j + 1
    return out


def is_named(phrase):
    for word in re.findall(r"[A-Za-z][A-Za-z'’.-]*", phrase):
        if word[0].isupper() and word.lower().strip(".") not in NOT_NAMES:
            return True
    return False


def convert_article(text, ann):
    spans, events = parse_ann(ann)
    quotes = []
    for ev in events:
        content = spans.get(ev.get("Content"))
        if not content:
            continue
        source = spans.get(ev.get("Source"))
        source_text = " ".join(text[s:e] for s, e in source[1]) if source else None
        cue = spans.get(ev.get("Cue"))
        cue_text = " ".join(text[s:e] for s, e in cue[1]) if cue else ""
        for cs, ce in content[1]:
            frags = quoted_fragments(text, cs, ce)
            if frags and any(mark in text[cs:ce] for mark in MARK_PAIRS):
                parts = [(s, e, "direct") for s, e in frags]
            else:
                s, e = cs, ce
                while s < e and text[s].isspace():
                    s += 1
                while e > s and text[e - 1].isspace():
                    e -= 1
                parts = [(s, e, "indirect")] if e > s else []
            for s, e, kind in parts:
                quotes.append(
                    {
                        "start": s,
                        "end": e,
                        "kind": kind,
                        "speaker": source_text,
                        "speaker_mention": cue_text,
                        "named": bool(source_text) and is_named(source_text),
                        "stance": "other",
                        "target": None,
                        "why": "PolNeAR attribution",
                    }
                )
    quotes.sort(key=lambda q: (q["start"], q["end"]))
    kept, last_end = [], -1
    for q in quotes:
        if q["start"] >= last_end:
            kept.append(q)
            last_end = q["end"]
    return kept


def cmd_convert(args):
    src, out = pathlib.Path(args.src) / "data", pathlib.Path(args.out)
    for split in args.splits:
        if split not in ("train", "dev"):
            sys.exit(f"refused: split {split!r} (only train and dev; PolNeAR's test split is never used)")
        anns = collections.defaultdict(list)
        for path in sorted((src / split / "attributions").glob("*.ann")):
            anns[path.stem.rsplit("_", 1)[0]].append(path)
        (out / split / "articles").mkdir(parents=True, exist_ok=True)
        (out / split / "gold").mkdir(parents=True, exist_ok=True)
        counts = collections.Counter()
        for text_path in sorted((src / split / "text").glob("*.txt")):
            name = text_path.stem
            if not anns.get(name):
                counts["no annotation"] += 1
                continue
            text = text_path.read_text(encoding="utf-8")
            quotes = convert_article(text, anns[name][0].read_text(encoding="utf-8"))
            gold = {"id": name, "quotes": quotes, "resignation_calls": [], "persons": [], "orgs": []}
            (out / split / "articles" / (name + ".txt")).write_text(text, encoding="utf-8")
            (out / split / "gold" / (name + ".json")).write_text(json.dumps(gold, ensure_ascii=False) + "\n")
            counts["articles"] += 1
            for q in quotes:
                counts[q["kind"]] += 1
                counts["named " + q["kind"]] += q["named"]
        print(split, dict(counts))


def surname_in_phrase(pred_name, phrase):
    if not pred_name or not phrase:
        return False
    words = re.findall(r"[a-z0-9'’]+", pred_name.lower())
    words = [w for w in words if w not in ("jr", "sr", "ii", "iii")]
    if not words:
        return False
    surname = re.sub(r"['’]s$", "", words[-1])
    for m in re.finditer(r"[a-z0-9]+(?:['’]s)?", phrase.lower()):
        token = m.group(0)
        if token == surname:
            return True
    return False


def score(gold_dir, articles_dir, pred_path):
    from score import match_quotes, agent_name

    preds = {}
    for line in open(pred_path, encoding="utf-8"):
        if line.strip():
            rec = json.loads(line)
            preds[str(rec.get("id"))] = rec
    c = collections.Counter()
    for gf in sorted(pathlib.Path(gold_dir).glob("*.json")):
        gold = json.loads(gf.read_text(encoding="utf-8"))
        pred = preds.get(gf.stem, {})
        c["articles"] += 1
        c["no prediction"] += not pred
        gq = [q for q in gold["quotes"] if q["kind"] == "direct" and q["named"]]
        all_direct = [q for q in gold["quotes"] if q["kind"] == "direct"]
        pq = pred.get("quotes", [])
        pdirect = [q for q in pq if q.get("kind") == "direct"]
        matched = match_quotes(gq, pq, 0.5)
        c["gold"] += len(gq)
        c["matched"] += len(matched)
        for gi, pi in matched:
            c["speaker_ok"] += surname_in_phrase(agent_name(pq[pi].get("speaker")), gq[gi]["speaker"])
        c["pred_direct"] += len(pdirect)
        c["pred_direct_matched"] += len(match_quotes(all_direct, pdirect, 0.5))
    ratio = lambda a, b: a / b if b else 0.0
    return {
        "articles": c["articles"],
        "missing_predictions": c["no prediction"],
        "named_direct_gold": c["gold"],
        "recall": ratio(c["matched"], c["gold"]),
        "speaker_accuracy": ratio(c["speaker_ok"], c["matched"]),
        "direct_precision": ratio(c["pred_direct_matched"], c["pred_direct"]),
    }


def cmd_score(args):
    r = score(args.gold, args.articles, args.pred)
    if args.json:
        print(json.dumps(r))
        return
    print(
        f"articles {r['articles']}  named direct quotes {r['named_direct_gold']}  "
        f"recall {r['recall']:.3f}  speaker accuracy {r['speaker_accuracy']:.3f}  "
        f"(direct precision vs all gold direct {r['direct_precision']:.3f})"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("--src", default=str(ROOT / "data" / "polnear" / "src"))
    c.add_argument("--out", default=str(ROOT / "data" / "polnear"))
    c.add_argument("--splits", nargs="+", default=["train", "dev"])
    s = sub.add_parser("score")
    s.add_argument("--gold", required=True)
    s.add_argument("--articles", required=True)
    s.add_argument("--pred", required=True)
    s.add_argument("--json", action="store_true")
    args = ap.parse_args()
    {"convert": cmd_convert, "score": cmd_score}[args.cmd](args)


if __name__ == "__main__":
    main()
