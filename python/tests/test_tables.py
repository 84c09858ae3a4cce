"""to_pandas / to_arrow: one row per quote."""

import sys

import pytest

import quotestance
from quotestance._tables import COLUMNS


def test_to_pandas(nlp: quotestance.Language) -> None:
    pd = pytest.importorskip("pandas")
    demo = quotestance.demo()
    df = quotestance.to_pandas([demo, nlp("No quotes here."), next(iter(nlp.pipe([None])))])
    assert list(df.columns) == COLUMNS
    assert len(df) == len(demo.quotes)
    row = df.iloc[1]
    q = demo.quotes[1]
    assert (row.doc_id, row.start, row.end, row.kind, row.text) == ("example", q.start, q.end, q.kind, q.text)
    assert (row.speaker, row.stance, row.target) == ("Helen Marsh", "call_to_resign", "Peter Okafor")
    assert row.stance_score == pytest.approx(q.stance_score)
    assert row.scores["defence"] == pytest.approx(q.scores["defence"])
    assert df.dtypes["start"] == "int64"
    assert isinstance(quotestance.to_pandas([]), pd.DataFrame)
    assert len(quotestance.to_pandas(demo)) == 5  # one doc is fine too


def test_to_arrow() -> None:
    pa = pytest.importorskip("pyarrow")
    t = quotestance.to_arrow([quotestance.demo()])
    assert t.column_names == COLUMNS and t.num_rows == 5
    assert t.schema.field("scores").type == pa.struct([(s, pa.float32()) for s in
                                                        ("call_to_resign", "defence", "rebuttal", "other")])
    assert t.column("speaker").to_pylist()[2] == "Sandra Tilley"
    assert quotestance.to_arrow([]).num_rows == 0


@pytest.mark.parametrize("fn,pkg", [(quotestance.to_arrow, "pyarrow"), (quotestance.to_pandas, "pandas")])
def test_missing_dependency_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch, fn, pkg) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, pkg, None)  # makes `import pkg` raise ImportError
    with pytest.raises(ImportError, match=f"needs {pkg}: pip install {pkg}"):
        fn([quotestance.demo()])
