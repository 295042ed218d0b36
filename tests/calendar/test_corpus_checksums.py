"""The .ics corpus is test data byte for byte: every file matches its SHA256SUMS line,
every file is listed, and the CRLF files kept their CRLF (git's `-text` attribute)."""

import hashlib
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "ics-corpus"


def _sums() -> dict[str, str]:
    lines = (CORPUS / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    return {name.strip(): digest for digest, name in (line.split(maxsplit=1) for line in lines)}


def test_corpus_every_file_matches_its_checksum():
    sums = _sums()
    actual = {name: hashlib.sha256((CORPUS / name).read_bytes()).hexdigest() for name in sums}
    assert actual == sums


def test_corpus_every_calendar_file_is_listed():
    listed = set(_sums())
    on_disk = {path.name for path in CORPUS.glob("*.ics")}
    assert on_disk == listed
    assert len(on_disk) == 50


def test_corpus_crlf_files_keep_their_line_ends():
    with_crlf = [path.name for path in CORPUS.glob("*.ics") if b"\r\n" in path.read_bytes()]
    assert len(with_crlf) == 15
