"""to_pandas / to_arrow / to_polars, default table: one row per quote, in the
columns of quotes_table, over real pipeline output."""

import sys

import pytest

import quotestance
from quotestance._tables import QUOTE_COLUMNS


def test_to_pandas(nlp: quotestance.Language, doc: quotestance.Doc) -> None:
    pd = pytest.importorskip("pandas")
    other = nlp("\u201cWe will appeal,\u201d said Cllr Jo Bell. Labour called for Cllr Bell to resign.", id="bell")
    empty = nlp("No quotes here.")
    bad = next(iter(nlp.pipe([None])))
    assert len(doc.quotes) == 5 and len(other.quotes) >= 1 and empty.quotes == [] and not bad.ok
    df = quotestance.to_pandas([doc, empty, bad, other])
    assert list(df.columns) == QUOTE_COLUMNS
    assert len(df) == len(doc.quotes) + len(other.quotes)  # one row per quote, none for the rest
    assert list(df.doc_id) == ["okafor"] * len(doc.quotes) + ["bell"] * len(other.quotes)
    assert list(df.quote) == list(range(len(doc.quotes))) + list(range(len(other.quotes)))
    for (_, row), q in zip(df.iterrows(), doc.quotes + other.quotes):
        assert (row.start, row.end, row.kind, row.text, row.stance) == (q.start, q.end, q.kind, q.text, q.stance)
        assert (None if pd.isna(row.speaker) else row.speaker) == (q.speaker.name if q.speaker else None)
        assert (None if pd.isna(row.target) else row.target) == (q.target.name if q.target else None)
        assert row.stance_score == pytest.approx(q.stance_score)
        assert row.score_defence == pytest.approx(q.scores["defence"])
    row = df.iloc[1]
    assert (row.speaker, row.stance, row.target) == ("Helen Marsh", "call_to_resign", "Peter Okafor")
    assert df.dtypes["start"] == "Int64" and df.dtypes["stance_score"] == "Float32"
    assert isinstance(quotestance.to_pandas([]), pd.DataFrame)
    assert len(quotestance.to_pandas(doc)) == len(doc.quotes)  # one doc is fine too


def test_to_arrow_is_quotes_table(nlp: quotestance.Language, doc: quotestance.Doc) -> None:
    pytest.importorskip("pyarrow")
    docs = [doc, nlp("No quotes here."), next(iter(nlp.pipe([None])))]
    t = quotestance.to_arrow(docs)
    assert t.column_names == QUOTE_COLUMNS and t.num_rows == len(doc.quotes) == 5
    assert t.schema == quotestance.quotes_schema() and t.equals(quotestance.quotes_table(docs))
    assert t.column("speaker").to_pylist() == [q.speaker.name if q.speaker else None for q in doc.quotes]
    assert t.column("stance").to_pylist() == ["call_to_resign", "call_to_resign", "defence", "rebuttal", "other"]
    assert quotestance.to_arrow([]).num_rows == 0


@pytest.mark.parametrize("fn,pkg", [(quotestance.to_arrow, "pyarrow"), (quotestance.to_pandas, "pandas"),
                                    (quotestance.to_polars, "polars")])
def test_missing_dependency_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch, doc: quotestance.Doc, fn,  # type: ignore[no-untyped-def]
                                                    pkg) -> None:
    monkeypatch.setitem(sys.modules, pkg, None)  # makes `import pkg` raise ImportError
    with pytest.raises(ImportError, match=f"needs {pkg}: pip install {pkg}"):
        fn([doc])
