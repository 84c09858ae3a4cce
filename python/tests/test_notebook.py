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
    assert any('class="qs-doc"' in h and "<mark" in h for h in html), "the demo document did not render as HTML"
    assert any("broken" in str(o.get("data", {}).get("text/plain", "")) for o in outputs)
