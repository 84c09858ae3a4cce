"""Executes examples/quickstart.ipynb with nbclient (the real Jupyter machinery)."""

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat", reason="pip install nbformat nbclient ipykernel")
nbclient = pytest.importorskip("nbclient", reason="pip install nbformat nbclient ipykernel")
pytest.importorskip("ipykernel", reason="pip install ipykernel")
pytest.importorskip("pandas", reason="the notebook uses pandas")


def test_quickstart_notebook_runs() -> None:
    path = ROOT / "examples" / "quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on any failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    docs_html = [h for h in html if 'class="qs-doc"' in h]
    assert docs_html, "the article did not render as HTML"
    # the article cell prints one line per quote after the Doc's repr; the
    # rendering marks each of them, in their stance colours
    code = [c for c in nb.cells if c.cell_type == "code"]
    printed = "".join(o.get("text", "") for o in code[1].outputs if o.get("output_type") == "stream").splitlines()
    quote_lines = printed[1:]
    assert len(quote_lines) >= 4 and quote_lines[0].startswith("indirect") and "call_to_resign" in quote_lines[0]
    assert docs_html[-1].count("<mark ") == len(quote_lines)
    for stance in ("call_to_resign", "defence", "rebuttal"):
        assert any(f" {stance} " in line for line in quote_lines), stance
        assert f'data-stance="{stance}"' in docs_html[-1]
    assert any("broken" in str(o.get("data", {}).get("text/plain", "")) for o in outputs)
