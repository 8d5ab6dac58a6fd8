"""Every parameter says where its value comes from (issue 13, item 4): calibrated (with its posterior summary),
literature (with the citation of the number), assumption (with the range explored) or modelling choice; no
assumed or calibrated number claims a seed document as its origin, and the ODD's tables show the labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.calibration.explored import explored
from sim.calibration.spec import load_calibration
from sim.params import LABELS, SEED_DOCUMENTS, describe, provenance

ROOT = Path(__file__).resolve().parent.parent
ROWS = list(provenance())
SEED_AUTHORS = ("Himmelman", "Axner", "Schmitz", "Working Together")


def _clauses(source: str) -> list[str]:
    return [c.strip() for c in source.split(";") if c.strip()]


def _cites_a_seed(text: str) -> bool:
    return any(author in text for author in SEED_AUTHORS)


def test_every_parameter_has_a_label_and_a_source():
    assert [key for key, *_ in ROWS] == [key for key, *_ in describe()]
    for key, label, source in ROWS:
        assert label in LABELS, f"{key}: label {label!r} is not one of {LABELS}"
        assert source.strip(), f"{key} has no source"


def test_sources_cite_documents_by_author_and_year_not_by_file_number():
    for key, _, source in ROWS:
        assert not re.search(r"(?<![\d,.])00[0-4](?![\d,])", source), f"{key} cites a seed by its file number: {source!r}"
        assert "MODEL.md" not in source, f"{key} cites the shared material rather than docs/CONCEPTS.md"
        for author in SEED_AUTHORS:  # a seed is named by its short citation (SEED_DOCUMENTS), author and year
            named = sum(source.count(short) for short in SEED_DOCUMENTS if author in short)
            assert source.count(author) == named, f"{key}: {author} without a year: {source!r}"


@pytest.mark.parametrize("label", ["assumption", "calibrated"])
def test_no_assumed_or_calibrated_number_claims_a_seed_as_its_origin(label):
    """A seed document may be where an idea comes from ("idea: Schmitz 2014 (...)"), never the number's origin."""
    for key, lab, source in ROWS:
        if lab != label:
            continue
        for clause in _clauses(source):
            if _cites_a_seed(clause):
                assert clause.startswith("idea:"), f"{key}: a seed cited as more than an idea: {clause!r}"


def test_literature_values_cite_the_publication_of_the_number():
    literature = [(key, source) for key, label, source in ROWS if label == "literature"]
    assert literature
    for key, source in literature:
        numbers = [c for c in _clauses(source) if c.startswith("number:")]
        assert numbers, f"{key}: a literature value needs a 'number: <citation>' clause: {source!r}"
        assert all(re.search(r"\b(19|20)\d\d\b", c) and not _cites_a_seed(c) for c in numbers), \
            f"{key}: the number must cite a dated publication, not a seed: {source!r}"


def test_calibrated_parameters_are_the_calibrations_and_give_their_posterior():
    fitted = {prior.key for prior in load_calibration("coalitions").priors}
    calibrated = {key for key, label, _ in ROWS if label == "calibrated"}
    assert calibrated == fitted
    for key, label, source in ROWS:
        if label == "calibrated":
            assert re.search(r"posterior median [-\d.]+ \(90%: [-\d.]+[–-][-\d.]+\)", source), \
                f"{key}: a calibrated value gives its posterior median and 90% interval: {source!r}"


def test_the_odd_tables_show_each_label_and_what_was_explored():
    text = (ROOT / "docs" / "ODD.md").read_text()
    ranges = explored()
    for key, label, _ in ROWS:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{key}` |"))
        assert label in row, f"docs/ODD.md's row of {key} lacks its label (run docs/odd_tables.py)"
        for span in ranges.get(key, []):
            assert span in row, f"docs/ODD.md's row of {key} lacks {span!r} (run docs/odd_tables.py)"


def test_the_odd_cites_the_source_documents_by_author_and_year():
    text = (ROOT / "docs" / "ODD.md").read_text()
    body, _, references = text.partition("\n## References")
    numbers = re.findall(r".{30}(?<![\d,.$])00[0-4](?![\d,]).{10}", body)
    assert not numbers, f"docs/ODD.md cites source documents by file number: {numbers[:3]}"
    for short in SEED_DOCUMENTS:
        author = short.split()[0]
        assert author in references, f"docs/ODD.md's references lack {short}"
    assert "(CONCEPTS.md)" in body and (ROOT / "docs" / "CONCEPTS.md").exists()
    assert "### Individual decision-making (ODD+D)" in body and "Müller" in references
