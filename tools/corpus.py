#!/usr/bin/env python3
"""Build the team's annotated corpus into the shared gold format.

Each source file data/corpus/src/NAME.qsa is a small header, a line `---`,
then the article text with inline quote markup:

    persons: Jane Smith; John Doe
    orgs: Ofsted; Barnet Council
    parties: Labour; Conservative Party
    places: Barnet
    roles: cabinet member for children's services; council leader
    calls: Jane Smith -> John Doe
    ---
    Labour called for [[Mr Doe to step down||s=Jane Smith;st=call_to_resign;t=John Doe;m=Labour called for]].
    "[[He must go||s=Jane Smith;st=call_to_resign;t=John Doe;m=she said]]," she said.

Markup: [[SPAN||key=value;key=value]] where SPAN is the quote text exactly as
it appears in the article (quote marks outside the brackets; a speech over
several paragraphs keeps its inner newlines and reopening marks inside one
span). Keys: s (speaker: fullest name, or the description when unnamed),
st (stance: call_to_resign|defence|rebuttal|other; default other), t (target
person or description; required unless st=other), k (direct|indirect;
default: direct when the span follows a quote mark), m (the words that
attribute it), why (optional one line).

Writes data/corpus/articles/NAME.txt and data/corpus/gold/NAME.json, and
data/corpus/splits.json (a fixed 80/20 train/test split by a hash of the
name). Exits non-zero, naming the file and line, on any malformed markup.

    python3 tools/corpus.py [--root data/corpus] [--check]
"""
import argparse
import hashlib
import json
import pathlib
import re
import sys

STANCES = {"call_to_resign", "defence", "rebuttal", "other"}
KEYS = {"s": "speaker", "st": "stance", "t": "target", "k": "kind", "m": "speaker_mention", "why": "why"}
HEADER_KEYS = {"persons", "orgs", "parties", "places", "roles", "calls"}
OPEN_MARKS = "\"'\u201c\u2018\u00ab\u201e\u201a\u2039"
MARKUP = re.compile(r"\[\[(.*?)\|\|(.*?)\]\]", re.S)


class CorpusError(Exception):
    pass


def parse_header(lines, name):
    head = {k: [] for k in HEADER_KEYS}
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if ":" not in line:
            raise CorpusError(f"{name}:{i}: header line without 'key:'")
        k, v = line.split(":", 1)
        k = k.strip().lower()
        if k not in HEADER_KEYS:
            raise CorpusError(f"{name}:{i}: unknown header key {k!r}")
        head[k] = [x.strip() for x in v.split(";") if x.strip()]
    return head


def parse_attrs(raw, name, line):
    out = {}
    for part in raw.split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise CorpusError(f"{name}:{line}: attribute {part!r} lacks '='")
        k, v = part.split("=", 1)
        k = k.strip()
        if k not in KEYS:
            raise CorpusError(f"{name}:{line}: unknown attribute {k!r}")
        out[KEYS[k]] = v.strip()
    return out


def find_all(text, needle, word=True):
    spans, start = [], 0
    while needle:
        i = text.find(needle, start)
        if i < 0:
            break
        j = i + len(needle)
        ok = not word or ((i == 0 or not text[i - 1].isalnum()) and (j == len(text) or not text[j].isalnum()))
        if ok:
            spans.append((i, j))
        start = i + 1
    return spans


# Particles that belong to a surname ("Ó Ceallaigh", "de Vries", "ap Rhys", "Te Rito").
SURNAME_PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "du", "le", "la", "ap", "bin", "al", "el",
                     "Ó", "Ní", "Nic", "Mac", "Mag", "Uí", "Te"}
# Words before a lone first name that make it a name use ("Sir Roderick", "Dame Imogen", "Mayor Anthony").
FIRST_NAME_TITLES = {"Sir", "Dame", "Lord", "Lady", "Mr", "Mrs", "Ms", "Miss", "Dr", "Father", "Fr", "Sister",
                     "Brother", "Aunty", "Auntie", "Uncle", "Mayor", "Cllr", "Cr", "Councillor"}
CALENDAR = {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
SENTENCE_OPENERS = "\"'\u201c\u2018(\u00ab"


def surname_of(parts):
    """The surname of a listed name: its last word with the particles before it ("Ó Ceallaigh")."""
    k = len(parts) - 1
    while k > 1 and parts[k - 1] in SURNAME_PARTICLES:
        k -= 1
    return " ".join(parts[k:])


def sentence_initial(text, i):
    """True when position i opens a sentence (text start, after . ! ? : ; a line break, or such plus an opening mark)."""
    before = text[:i].rstrip(" \t" + SENTENCE_OPENERS)
    return not before or before[-1] in ".!?:;\n"


def lone_first_names(text, head, common_words):
    """Spans of listed people's first names used alone ("Rachel has been honest"): a real mention that the
    full-name and surname forms miss. Labelled only when it cannot be anyone or anything else:
      * exactly one listed person has that first name, and it is no word of another listed person or of a
        listed organisation, party, place or role, and not a month or weekday name;
      * the occurrence is not part of a longer capitalised name: the word after it is not capitalised
        (nor a quoted nickname), and the word before it is not capitalised unless it is a title
        ("Sir Roderick") or opens the sentence ("If Clive wants");
      * a first name that is also a common word (its lower-case form occurs as a word in the corpus: Mark,
        Grant, Will, Dean) counts only inside a sentence, where the common word would be lower case.
    """
    persons = [p.split() for p in head["persons"]]
    firsts = {}
    for parts in persons:
        if len(parts) >= 2:
            firsts.setdefault(parts[0], []).append(parts)
    other_words = set()
    for key in ("orgs", "parties", "places", "roles"):
        for v in head[key]:
            other_words.update(re.findall(r"[\w'\u2019-]+", v))
    out = []
    for first, owners in firsts.items():
        if len(owners) != 1 or len(first) < 2 or first.endswith(".") or not first[0].isupper():
            continue
        if first in CALENDAR or first in other_words:
            continue
        if any(first in parts[1:] for parts in persons):
            continue
        for s, e in find_all(text, first):
            after = text[e:e + 3]
            if re.match(r"(?:[ -][A-Z\u00c0-\u00de]|[ -]?[\"\u201c\u2018'(][A-Z])", after):
                continue
            prev = re.search(r"([\w.'\u2019]+)([ -])$", text[max(0, s - 40):s])
            if prev and prev.group(1)[:1].isupper():
                word = prev.group(1).rstrip(".")
                if word not in FIRST_NAME_TITLES and not sentence_initial(text, s - len(prev.group(0))):
                    continue
            if first.lower() in common_words and sentence_initial(text, s):
                continue
            out.append((s, e))
    return out


def entity_spans(text, head, common_words=frozenset()):
    """Entity spans from the header lists, longest first, no overlaps: each listed value as written; a
    person also by surname alone ("Cllr Smith said", particles kept: "Mr Ó Ceallaigh") and by first name
    alone where that is unambiguous (`lone_first_names`)."""
    cands = []
    for label, key in (("PERSON", "persons"), ("ORG", "orgs"), ("PARTY", "parties"), ("GPE", "places"), ("ROLE", "roles")):
        for value in head[key]:
            forms = {value}
            if label == "PERSON":
                parts = value.split()
                if len(parts) >= 2 and parts[-1][:1].isupper():
                    forms.add(parts[-1])  # surname alone ("Cllr Smith said")
                    forms.add(surname_of(parts))
            for form in forms:
                for s, e in find_all(text, form):
                    cands.append((s, e, label, value))
    by_first = {p.split()[0]: p for p in head["persons"] if len(p.split()) >= 2}
    for s, e in lone_first_names(text, head, common_words):
        cands.append((s, e, "PERSON", by_first[text[s:e]]))
    cands.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken, out = [], []
    for s, e, label, value in cands:
        if any(s < te and ts < e for ts, te in taken):
            continue
        taken.append((s, e))
        out.append({"start": s, "end": e, "label": label, "text": text[s:e], "canonical": value})
    out.sort(key=lambda x: x["start"])
    return out


def corpus_words(paths):
    """Lower-case words of the article texts (markup removed): the common words of the corpus."""
    words = set()
    for p in paths:
        raw = p.read_text(encoding="utf-8")
        body = raw.split("\n---\n", 1)[-1]
        words.update(w for w in re.findall(r"[^\W\d_]+", MARKUP.sub(r"\1", body)) if w.islower())
    return frozenset(words)


def build_one(path, common_words=frozenset()):
    name = path.stem
    raw = path.read_text(encoding="utf-8")
    if "\n---\n" not in raw:
        raise CorpusError(f"{name}: no '---' line between header and text")
    header, body = raw.split("\n---\n", 1)
    head = parse_header(header.splitlines(), name)
    body = body.strip("\n") + "\n"
    text_parts, quotes, pos, out_len = [], [], 0, 0
    for m in MARKUP.finditer(body):
        line = body.count("\n", 0, m.start()) + len(header.splitlines()) + 2
        before = body[pos:m.start()]
        if "[[" in before or "]]" in before or "||" in before:
            raise CorpusError(f"{name}:{line}: stray markup before a quote")
        text_parts.append(before)
        out_len += len(before)
        span = m.group(1)
        if not span.strip() or span != span.strip():
            raise CorpusError(f"{name}:{line}: empty span or span with outer spaces: {span!r}")
        attrs = parse_attrs(m.group(2), name, line)
        start = out_len
        text_parts.append(span)
        out_len += len(span)
        pos = m.end()
        prev = "".join(text_parts)[start - 1:start] if start else ""
        q = {"start": start, "end": out_len,
             "kind": attrs.get("kind") or ("direct" if prev and prev in OPEN_MARKS else "indirect"),
             "speaker": attrs.get("speaker", ""), "speaker_mention": attrs.get("speaker_mention", ""),
             "stance": attrs.get("stance", "other"), "target": attrs.get("target") or None,
             "why": attrs.get("why", "")}
        if q["kind"] not in ("direct", "indirect"):
            raise CorpusError(f"{name}:{line}: kind must be direct or indirect")
        if q["stance"] not in STANCES:
            raise CorpusError(f"{name}:{line}: unknown stance {q['stance']!r}")
        if not q["speaker"]:
            raise CorpusError(f"{name}:{line}: quote without speaker (s=)")
        if q["stance"] != "other" and not q["target"]:
            raise CorpusError(f"{name}:{line}: stance {q['stance']} needs a target (t=)")
        quotes.append(q)
    rest = body[pos:]
    if "[[" in rest or "]]" in rest or "||" in rest:
        raise CorpusError(f"{name}: stray markup after the last quote")
    text_parts.append(rest)
    text = "".join(text_parts)
    calls = []
    for c in head["calls"]:
        if "->" not in c:
            raise CorpusError(f"{name}: call {c!r} is not 'caller -> target'")
        a, b = (x.strip() for x in c.split("->", 1))
        calls.append({"caller": a, "target": b})
    for q in quotes:
        if q["stance"] == "call_to_resign" and not any(c["target"] == q["target"] for c in calls):
            raise CorpusError(f"{name}: call_to_resign quote by {q['speaker']!r} on {q['target']!r} has no 'calls:' entry")
    for p in head["persons"]:
        if p.split()[-1] not in text:
            raise CorpusError(f"{name}: person {p!r} does not occur in the text")
    gold = {"id": name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "quotes": quotes, "resignation_calls": calls, "persons": head["persons"],
            "orgs": head["orgs"] + head["parties"],
            "entities": entity_spans(text, head, common_words)}
    return name, text, gold


def split_of(name):
    return "test" if int(hashlib.sha256(name.encode()).hexdigest(), 16) % 5 == 0 else "train"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent / "data" / "corpus"))
    ap.add_argument("--check", action="store_true", help="validate only, write nothing")
    ap.add_argument("files", nargs="*", help="only these .qsa files (validation)")
    a = ap.parse_args()
    root = pathlib.Path(a.root)
    files = [pathlib.Path(f) for f in a.files] or sorted((root / "src").glob("*.qsa"))
    common_words = corpus_words(sorted(set(files) | set((root / "src").glob("*.qsa"))))
    errors, built = [], []
    for f in files:
        try:
            built.append(build_one(f, common_words))
        except CorpusError as e:
            errors.append(str(e))
    for e in errors:
        print("error:", e, file=sys.stderr)
    nq = sum(len(g["quotes"]) for _, _, g in built)
    print(f"{len(built)} articles, {nq} quotes, {len(errors)} errors")
    if errors:
        sys.exit(1)
    if a.check or a.files:
        return
    (root / "articles").mkdir(exist_ok=True)
    (root / "gold").mkdir(exist_ok=True)
    keep = set()
    splits = {"train": [], "test": []}
    for name, text, gold in built:
        (root / "articles" / f"{name}.txt").write_text(text, encoding="utf-8")
        (root / "gold" / f"{name}.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        keep.add(name)
        splits[split_of(name)].append(name)
    for d in ("articles", "gold"):
        for f in (root / d).iterdir():
            if f.stem not in keep:
                f.unlink()
    (root / "splits.json").write_text(json.dumps(splits, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
