"""The Ray Data and PySpark adapters (quotestance.ray, quotestance.spark).

On a real local Ray and a real local Spark, over 30 corpus articles as JSONL,
the quote rows from Ray, from Spark, from ``quotestance.quotes_table`` and
from the CLI's ``quotestance batch --rules-only`` must be identical (same
columns, types and values, sorted by doc_id, quote). Ray and Spark tests skip,
saying why, when ray / pyspark (or Java) are missing; the CLI test when the
binary cannot be built.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Any, Dict, Iterator, List

import pytest

import quotestance
import quotestance.ray as qray
import quotestance.spark as qspark

pa = pytest.importorskip("pyarrow")

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTICLES = sorted((ROOT / "data" / "corpus" / "articles").glob("*.txt"))[::10][:30]
CONFIG: Dict[str, Any] = {"use_models": False}  # = the CLI's --rules-only
BAD = [{"id": "ok", "text": "\u201cShe must go now,\u201d said Cllr Ann Lee of the mayor, Jo Bell."},
       {"id": "nul", "text": None}]


def _sorted(table: "pa.Table") -> List[Dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: (r["doc_id"], r["quote"] if r["quote"] is not None else -1))


@pytest.fixture(scope="module")
def records() -> List[Dict[str, str]]:
    assert len(ARTICLES) == 30
    return [{"id": p.stem, "text": p.read_text(encoding="utf-8")} for p in ARTICLES]


@pytest.fixture(scope="module")
def archive(records: List[Dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("archive") / "articles.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def expected(records: List[Dict[str, str]]) -> List[Dict[str, Any]]:
    table = quotestance.quotes_table(quotestance.load(**CONFIG).pipe(records))
    assert table.schema == quotestance.quotes_schema()
    assert table.num_rows > 30 and len(set(table.column("doc_id").to_pylist())) > 10  # a real test
    return _sorted(table)


# --- the shared core, without Ray or Spark ---------------------------------------------------------

def test_schema_is_the_cli_quote_row() -> None:
    src = (ROOT / "crates" / "quotestance-cli" / "src" / "batch.rs").read_text(encoding="utf-8")
    body = src[src.index("pub struct QuoteRow"):]
    body = body[:body.index("}")]
    fields = [line.split(":")[0].split()[-1] for line in body.splitlines()[1:] if "pub " in line]
    assert quotestance.quotes_schema().names == fields
    assert qspark.QUOTES_SCHEMA.startswith("`doc_id` STRING, `quote` BIGINT, `start` BIGINT, `end` BIGINT")


def test_labeller_takes_arrow_pandas_and_numpy_batches(records: List[Dict[str, str]],
                                                       expected: List[Dict[str, Any]]) -> None:
    lab = qray.Labeller(**CONFIG)
    table = pa.Table.from_pylist(records)
    want = [r for r in expected]
    assert _sorted(lab(table)) == want
    pd = pytest.importorskip("pandas")
    assert _sorted(lab(pd.DataFrame(records))) == want
    np = pytest.importorskip("numpy")
    assert _sorted(lab({"id": np.array([r["id"] for r in records]),
                        "text": np.array([r["text"] for r in records], dtype=object)})) == want
    assert lab(pa.table({"id": ["x"], "text": ["No quotes here."]})).num_rows == 0


def test_bad_records_raise_or_become_error_rows() -> None:
    with pytest.raises(quotestance.InputError, match="'nul' cannot be labelled"):
        qray.Labeller(**CONFIG)(pa.Table.from_pylist(BAD))
    with pytest.raises(quotestance.InputError, match="needs an 'id' column"):
        qray.Labeller(**CONFIG)(pa.table({"text": ["x"]}))
    out = qray.Labeller(on_error="yield", **CONFIG)(pa.Table.from_pylist(BAD + [{"id": None, "text": "x"}]))
    assert out.schema.names == quotestance.quotes_schema().names + ["error"]
    errs = [r for r in out.to_pylist() if r["error"] is not None]
    assert [(r["doc_id"], r["quote"], r["text"]) for r in errs] == [("nul", None, None), (None, None, None)]
    assert "InputError" in errs[0]["error"] and "null id" in errs[1]["error"]
    assert all(r["doc_id"] == "ok" for r in out.to_pylist() if r["error"] is None) and out.num_rows > 2
    with pytest.raises(ValueError, match="on_error"):
        qray.Labeller(on_error="skip")


def test_spark_function_without_spark(records: List[Dict[str, str]], expected: List[Dict[str, Any]]) -> None:
    batches = pa.Table.from_pylist(records).to_batches(max_chunksize=7)
    out = list(qspark.labeller(**CONFIG)(iter(batches)))
    assert all(isinstance(b, pa.RecordBatch) for b in out)
    assert _sorted(pa.Table.from_batches(out, schema=quotestance.quotes_schema())) == expected
    assert _sorted(pa.Table.from_batches(list(qspark.label_batches(iter(batches))))) == expected  # defaults


# --- the CLI ---------------------------------------------------------------------------------------

def _cli() -> pathlib.Path:
    exe = ROOT / "target" / "release" / ("quotestance.exe" if os.name == "nt" else "quotestance")
    if os.environ.get("QS_SKIP_CLI_BUILD") != "1" and shutil.which("cargo"):
        r = subprocess.run(["cargo", "build", "--release", "-q", "-p", "quotestance-cli"], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.fail(f"cargo build --release -p quotestance-cli failed:\n{r.stderr[-2000:]}")
    if not exe.exists():
        pytest.skip(f"{exe} is missing and cargo is not available to build it")
    return exe


@pytest.fixture(scope="module")
def cli_rows(archive: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> List[Dict[str, Any]]:
    out = tmp_path_factory.mktemp("cli")
    r = subprocess.run([str(_cli()), "batch", str(archive), "-o", str(out), "--rules-only", "--threads", "2",
                        "--shard-size", "8"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for f in sorted(out.glob("quotes-*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]
    assert rows and all(list(row) == quotestance.quotes_schema().names for row in rows)  # same names, order
    return _sorted(pa.Table.from_pylist(rows, schema=quotestance.quotes_schema()))


def test_cli_rows_equal_quotes_table(cli_rows: List[Dict[str, Any]], expected: List[Dict[str, Any]]) -> None:
    assert cli_rows == expected


def test_cli_parquet_quotes_are_the_quotes_table(archive: pathlib.Path, expected: List[Dict[str, Any]],
                                                 tmp_path: pathlib.Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    r = subprocess.run([str(_cli()), "batch", str(archive), "-o", str(tmp_path), "--rules-only", "--threads", "2",
                        "--shard-size", "8", "--format", "parquet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    files = sorted(tmp_path.glob("quotes-*.parquet"))
    assert len(files) == 4  # 30 records, 8 per shard
    assert all(pq.read_schema(f) == quotestance.quotes_schema() for f in files)  # names, order, types, nullability
    table = pa.concat_tables([pq.read_table(f) for f in files])
    assert table.schema == quotestance.quotes_schema()
    assert _sorted(table) == expected
    docs = pa.concat_tables([pq.read_table(f) for f in sorted(tmp_path.glob("documents-*.parquet"))])
    assert docs.num_rows == 30 and docs.column("error").null_count == 30
    assert sum(docs.column("n_quotes").to_pylist()) == table.num_rows


# --- Ray -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'ray[data]')")
    pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'ray[data]')")
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024 * 1024,
             configure_logging=False, log_to_driver=False)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    yield ray
    ray.shutdown()


def _ray_table(ray: Any, ds: Any) -> "pa.Table":
    return pa.concat_tables(ray.get(ds.to_arrow_refs()))


def test_ray_rows_equal_cli_rows(ray: Any, archive: pathlib.Path, cli_rows: List[Dict[str, Any]],
                                 expected: List[Dict[str, Any]]) -> None:
    ds = ray.data.read_json(str(archive)).map_batches(
        qray.Labeller, fn_constructor_kwargs=CONFIG, batch_format="pyarrow", batch_size=8,
        # 2 actors at 0.5 CPU each: with 1 CPU each they would hold both CPUs
        # and the read task could never run (Ray Data waits forever).
        compute=ray.data.ActorPoolStrategy(size=2), num_cpus=0.5)
    table = _ray_table(ray, ds)
    assert table.schema == quotestance.quotes_schema()
    assert _sorted(table) == cli_rows == expected


def test_ray_error_rows(ray: Any) -> None:
    ds = ray.data.from_items(BAD).map_batches(
        qray.Labeller, fn_constructor_kwargs={"on_error": "yield", **CONFIG}, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=1), num_cpus=0.5)
    rows = _ray_table(ray, ds).to_pylist()
    assert [r["doc_id"] for r in rows if r["error"]] == ["nul"]
    assert any(r["doc_id"] == "ok" and r["error"] is None for r in rows)


# --- Spark -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed (pip install pyspark)")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17+: no java on PATH and JAVA_HOME unset")
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (sql.SparkSession.builder.master("local[2]").appName("quotestance-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g").config("spark.sql.execution.arrow.maxRecordsPerBatch", "8")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _spark_rows(df: Any, schema: "pa.Schema") -> List[Dict[str, Any]]:
    return _sorted(pa.Table.from_pylist([r.asDict() for r in df.collect()], schema=schema))


def test_spark_rows_equal_cli_rows(spark: Any, archive: pathlib.Path, cli_rows: List[Dict[str, Any]],
                                   expected: List[Dict[str, Any]]) -> None:
    df = spark.read.json(str(archive)).repartition(3)
    quotes = df.mapInArrow(qspark.labeller(**CONFIG), qspark.QUOTES_SCHEMA)
    assert quotes.schema == qspark.struct_type()
    assert _spark_rows(quotes, quotestance.quotes_schema()) == cli_rows == expected
    # the module-level function (load()'s defaults are rules-only too)
    assert _spark_rows(df.mapInArrow(qspark.label_batches, qspark.struct_type()), quotestance.quotes_schema()) \
        == expected


def test_spark_bad_records(spark: Any) -> None:
    df = spark.createDataFrame([(r["id"], r["text"]) for r in BAD], "id string, text string")
    rows = _spark_rows(df.mapInArrow(qspark.labeller(on_error="yield", **CONFIG),
                                     qspark.QUOTES_WITH_ERRORS_SCHEMA),
                       quotestance.quotes_schema().append(pa.field("error", pa.string())))
    assert [r["doc_id"] for r in rows if r["error"]] == ["nul"]
    with pytest.raises(Exception, match="cannot be labelled"):
        df.mapInArrow(qspark.labeller(**CONFIG), qspark.QUOTES_SCHEMA).collect()
