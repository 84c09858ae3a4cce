import pathlib

import pytest

import quotestance

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def nlp() -> quotestance.Language:
    return quotestance.load()


@pytest.fixture(scope="session")
def article() -> str:
    return ("Opposition councillors called for Cllr Peter Okafor to step down.\n\n"
            "\u201cHe must go now,\u201d said Cllr Helen Marsh. Café owners were unsure.\n\n"
            "Council leader Sandra Tilley said he had her full support.")
