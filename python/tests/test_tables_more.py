"""The five tables (quotes, people, entities, calls, documents) of to_pandas,
to_polars and to_arrow: columns, dtypes, one row per thing, error records and
documents without quotes kept, empty input; over real pipeline output."""

from typing import Any, Dict, List, Union

import pytest

import quotestance
from quotestance._tables import (
    CALL_COLUMNS, DOCUMENT_COLUMNS, ENTITY_COLUMNS, PEOPLE_COLUMNS, QUOTE_COLUMNS, TABLES,
)

pd = pytest.importorskip("pandas")

COLUMNS = {"quotes": QUOTE_COLUMNS, "people": PEOPLE_COLUMNS, "entities": ENTITY_COLUMNS, "calls": CALL_COLUMNS,
           "documents": DOCUMENT_COLUMNS}
PANDAS_DTYPES = {"string": "string", "int64": "Int64", "float32": "Float32", "list<string>": "object",
                 "list<int64>": "object"}
Item = Union[quotestance.Doc, quotestance.ErrorRecord]

# Invented: party, role and title for the people table; a title, url, date and source for the documents table.
STORY = ("Green councillor Mo Ash was urged to quit on Monday. Liberal Democrat group leader Ivy Penn said: "
         "\u201cHe must resign before the budget vote.\u201d Mr Ash said he would stay.")


@pytest.fixture(scope="module")
def docs(nlp: quotestance.Language, doc: quotestance.Doc) -> List[Item]:
    items: List[Any] = [{"id": "story", "text": STORY, "title": "Vote looms", "url": "https://example.invalid/s",
                         "date": "2031-02-03", "source": "Example Gazette"},
                        {"id": "quiet", "text": "The library opens at nine."}, None, b"\xff"]
    return [doc, *nlp.pipe(items)]


def records(df: Any) -> List[Dict[str, Any]]:
    """A pandas frame's rows with every missing value as None (pandas' NA otherwise)."""
    return [{k: None if pd.api.types.is_scalar(v) and pd.isna(v) else v for k, v in r.items()}
            for r in df.to_dict("records")]


@pytest.mark.parametrize("table", list(COLUMNS))
def test_columns_and_dtypes(docs: List[Item], table: str) -> None:
    df = quotestance.to_pandas(docs, table=table)  # type: ignore[arg-type]
    assert list(df.columns) == COLUMNS[table] == TABLES[table][0]
    want = {c: PANDAS_DTYPES[t] for c, t in TABLES[table][1].items()}
    assert {c: str(d) if d == object else d for c, d in df.dtypes.items()} == want
    assert len(df) > 0
    empty = quotestance.to_pandas([], table=table)  # type: ignore[arg-type]
    assert len(empty) == 0 and list(empty.columns) == COLUMNS[table] and dict(empty.dtypes) == dict(df.dtypes)


@pytest.mark.parametrize("table", list(COLUMNS))
def test_arrow_and_polars_have_the_same_rows(docs: List[Item], table: str) -> None:
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    want = records(quotestance.to_pandas(docs, table))  # type: ignore[arg-type]
    t = quotestance.to_arrow(docs, table)  # type: ignore[arg-type]
    assert t.column_names == COLUMNS[table] and t.to_pylist() == want
    arrow = {"string": pa.string(), "int64": pa.int64(), "float32": pa.float32(),
             "list<string>": pa.list_(pa.string()), "list<int64>": pa.list_(pa.int64())}
    assert [t.schema.field(c).type for c in COLUMNS[table]] == [arrow[TABLES[table][1][c]] for c in COLUMNS[table]]
    p = quotestance.to_polars(docs, table)  # type: ignore[arg-type]
    assert isinstance(p, pl.DataFrame) and p.columns == COLUMNS[table] and p.to_dicts() == want
    polars = {"string": pl.String, "int64": pl.Int64, "float32": pl.Float32, "list<string>": pl.List(pl.String),
              "list<int64>": pl.List(pl.Int64)}
    assert list(p.schema.values()) == [polars[TABLES[table][1][c]] for c in COLUMNS[table]]
    assert p.equals(pl.from_arrow(t))
    for empty in (quotestance.to_polars([], table), pl.from_arrow(quotestance.to_arrow([], table))):  # type: ignore[arg-type]
        assert empty.height == 0 and empty.schema == p.schema


def test_quotes_table_is_the_cli_quotes_rows(docs: List[Item]) -> None:
    pa = pytest.importorskip("pyarrow")
    df = quotestance.to_pandas(docs)
    assert list(df.columns) == quotestance.quotes_schema().names
    assert records(df) == quotestance.quotes_table(docs).to_pylist()
    mapping = {pa.string(): pd.StringDtype(), pa.int64(): pd.Int64Dtype(), pa.float32(): pd.Float32Dtype()}
    assert dict(quotestance.quotes_table([]).to_pandas(types_mapper=mapping.get).dtypes) == dict(df.dtypes)


def test_documents_table_has_every_input(docs: List[Item]) -> None:
    df = quotestance.to_pandas(docs, table="documents")
    assert list(df.doc_id) == ["okafor", "story", "quiet", "2", "3"]  # in input order, none dropped
    rows = records(df)
    for row, d in zip(rows, docs):
        if isinstance(d, quotestance.Doc):
            assert row == {"doc_id": d.id, "error": None, "title": d.title, "url": d.url, "date": d.date,
                           "source": d.source, "chars": len(d.text), "n_quotes": len(d.quotes),
                           "n_people": len(d.people), "n_entities": len(d.entities),
                           "n_resignation_calls": len(d.resignation_calls)}
        else:
            assert row == dict.fromkeys(DOCUMENT_COLUMNS, None) | {"doc_id": d.id, "error": f"InputError: {d.error}"}
    assert rows[1]["title"] == "Vote looms" and rows[1]["source"] == "Example Gazette" and rows[1]["n_quotes"] >= 1
    assert rows[2]["n_quotes"] == 0 and rows[2]["chars"] == 26  # a document without quotes has its row
    assert "not valid UTF-8" in rows[4]["error"]
    quiet = [d for d in docs if d.id == "quiet"]
    assert len(quotestance.to_pandas(quiet)) == 0 and len(quotestance.to_pandas(quiet, "documents")) == 1


def test_error_records_add_rows_only_to_documents(nlp: quotestance.Language) -> None:
    items: List[Any] = [None, {"id": "k"}]
    bad = list(nlp.pipe(items))
    assert not any(b.ok for b in bad)
    for table in ("quotes", "people", "entities", "calls"):
        assert len(quotestance.to_pandas(bad, table)) == 0
    df = quotestance.to_pandas(bad, "documents")
    assert list(df.doc_id) == ["0", "k"] and df.error.str.startswith("InputError: ").all()
    assert df.drop(columns=["doc_id", "error"]).isna().all().all()
    assert len(quotestance.to_pandas(bad[0], "documents")) == 1  # one record alone is fine too


def test_people_entities_calls_rows(docs: List[Item]) -> None:
    labelled = [d for d in docs if isinstance(d, quotestance.Doc)]
    people = records(quotestance.to_pandas(docs, "people"))
    assert people == [{"doc_id": d.id, "person": p.id, "name": p.name, "title": p.title, "party": p.party,
                       "ward": p.ward, "organisation": p.organisation, "gender": p.gender, "roles": p.roles,
                       "variants": p.variants, "n_mentions": len(p.mentions)} for d in labelled for p in d.people]
    assert all(d.people[r["person"]].name == r["name"] for r in people for d in labelled if d.id == r["doc_id"])
    assert {"Helen Marsh", "Peter Okafor", "Mo Ash", "Ivy Penn"} <= {r["name"] for r in people}
    assert any(r["party"] for r in people) and any(r["roles"] for r in people)

    entities = records(quotestance.to_pandas(docs, "entities"))
    assert [(r["doc_id"], r["entity"], r["start"], r["end"], r["label"], r["text"], r["canonical"], r["person"])
            for r in entities] == [(d.id, i, e.start, e.end, e.label, e.text, e.canonical, e.person)
                                   for d in labelled for i, e in enumerate(d.entities)]
    assert [r["score"] for r in entities] == pytest.approx([e.score for d in labelled for e in d.entities])
    assert all(d.text[r["start"]:r["end"]] == r["text"] for r in entities for d in labelled if d.id == r["doc_id"])

    calls = records(quotestance.to_pandas(docs, "calls"))
    assert [(r["doc_id"], r["call"], r["caller"], r["caller_person"], r["target"], r["target_person"], r["evidence"])
            for r in calls] == [(d.id, i, c.caller, c.caller_person, c.target, c.target_person, c.evidence)
                                for d in labelled for i, c in enumerate(d.resignation_calls)]
    assert [r["score"] for r in calls] == pytest.approx([c.score for d in labelled for c in d.resignation_calls])
    assert {r["doc_id"] for r in calls} >= {"okafor", "story"}


def test_bad_arguments(doc: quotestance.Doc) -> None:
    with pytest.raises(ValueError, match="table must be one of 'quotes', 'people'"):
        quotestance.to_pandas([doc], table="person")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected Doc or ErrorRecord items .* got str"):
        quotestance.to_pandas(["a text, not a Doc"])  # type: ignore[list-item]
