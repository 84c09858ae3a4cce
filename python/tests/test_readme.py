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
    monkeypatch.chdir(ROOT)
    env: dict = {}
    exec(compile(blocks()[1], "README pandas example", "exec"), env)
    df, table = env["df"], env["table"]
    n_articles = len(os.listdir(ROOT / "data" / "corpus" / "articles"))
    assert n_articles > 100 and len(df) > n_articles  # the corpus has quotes: one row each
    assert table.num_rows == len(df)
    assert set(df.stance) <= {"call_to_resign", "defence", "rebuttal", "other"}
    assert (df.stance == "call_to_resign").sum() > 0 and df.speaker.notna().mean() > 0.5
