"""The Python blocks of python/README.md run as written, on the real pipeline."""

import contextlib
import io
import os
import re

import pytest

from conftest import ROOT


def blocks() -> list:
    text = (ROOT / "python" / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_example_block() -> None:
    code = blocks()[0]
    assert len([line for line in code.splitlines() if line.strip()]) == 5
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README example", "exec"), {})
    readme = (ROOT / "python" / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```python\n.*?```\n\nprints.*?```text\n(.*?)```", readme, flags=re.S)
    assert shown is not None, "the example's output is not shown after it"
    lines = out.getvalue().splitlines()
    assert lines == shown.group(1).splitlines()
    assert [line.split()[0] for line in lines] == ["indirect", "direct"] and all("call_to_resign Jo Bell" in line
                                                                                 for line in lines)


def test_pandas_block(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pytest.importorskip("polars")
    monkeypatch.chdir(ROOT)
    env: dict = {}
    exec(compile(blocks()[1], "README tables example", "exec"), env)
    df, table, people, calls = env["df"], env["table"], env["people"], env["calls"]
    n_articles = len(os.listdir(ROOT / "data" / "corpus" / "articles"))
    assert n_articles > 100 and len(df) > n_articles  # the corpus has quotes: one row each
    assert table.num_rows == len(df)
    assert len(people) > n_articles and people.name.notna().all() and people.doc_id.nunique() > 100
    assert calls.height > 0 and calls.columns[:3] == ["doc_id", "call", "caller"]
    assert set(df.stance) <= {"call_to_resign", "defence", "rebuttal", "other"}
    assert (df.stance == "call_to_resign").sum() > 0 and df.speaker.notna().mean() > 0.5
