import pathlib

import pytest

import quotestance

ROOT = pathlib.Path(__file__).resolve().parents[2]

# A short article written for these tests: a call to resign (reported, then in
# straight double quotes), a defence in single quotes with a pronoun speaker, a
# rebuttal by the target in curly quotes, and a neutral quote by an unnamed
# spokesperson whose words contain markup-like text.
ARTICLE = (
    "Opposition leader Helen Marsh has called on Cllr Peter Okafor to resign over the café contract.\n\n"
    "\"He has lost the confidence of residents and must go now,\" said Ms Marsh.\n\n"
    "Council leader Sandra Tilley defended him. 'Peter has done nothing wrong and has my full support,' she said.\n\n"
    "Cllr Okafor said: \u201cI have no intention of resigning. I will see this through.\u201d\n\n"
    "A council spokesperson said: \"The contract <and> the tender will be reviewed in the new year.\""
)


@pytest.fixture(scope="session")
def nlp() -> quotestance.Language:
    return quotestance.load()


@pytest.fixture(scope="session")
def article() -> str:
    return ARTICLE


@pytest.fixture(scope="session")
def doc(nlp: quotestance.Language) -> quotestance.Doc:
    """ARTICLE labelled by the real pipeline."""
    return nlp(ARTICLE, id="okafor")
