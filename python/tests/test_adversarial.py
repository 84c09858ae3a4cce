"""The adversarial corpus (tests/adversarial/make.py, invented inputs) through Python: each input
is labelled within a time budget that a linear pipeline meets many times over, with valid spans;
bytes that are not UTF-8 cannot reach the API (a str is always valid), so that input is skipped
here and covered by the CLI test."""

import pathlib
import sys
import time

import pytest

import quotestance

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "adversarial"))

import make  # noqa: E402

BUDGET_S = 60.0
INPUTS = {k: v for k, v in make.inputs().items() if isinstance(v, str)}


@pytest.fixture(scope="module")
def nlp() -> quotestance.Language:
    return quotestance.load(use_models=False)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_adversarial_input_is_labelled_quickly_with_valid_spans(nlp: quotestance.Language, name: str) -> None:
    text = INPUTS[name]
    started = time.monotonic()
    doc = nlp(text)
    assert time.monotonic() - started < BUDGET_S, name
    for q in doc.quotes:
        assert 0 <= q.start < q.end <= len(text)
        assert text[q.start : q.end] == q.text
    for e in doc.entities:
        assert text[e.start : e.end] == e.text
