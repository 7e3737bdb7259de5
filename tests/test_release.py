"""The release folder: reproducible bytes, checksums, dumps that say the same thing in four
syntaxes, the positions CSV and its CSVW description, and an output that is swapped in
atomically (a failed, invalid or killed build leaves the previous release as it was).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import BNode, Graph
from rdflib.compare import isomorphic
from register_fixtures import (
    RELEASE_FILES,
    ROOT,
    SUBPROCESS_TIMEOUT,
    Built,
    copy_data,
    copy_site,
    kg_env,
    read_rows,
    snapshot,
)

from kg.errors import KgError
from kg.release.build import build
from kg.release.folder import Artifact, verify_release, write_release

pytest_plugins = ["register_fixtures"]

CONTRACT_COLUMNS = [
    "position_uri",
    "position_label_kk",
    "block",
    "tier",
    "step",
    "sector",
    "grade",
]
SECTOR_LETTER = {"healthcare": "H", "education": "E", "other": "O"}


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def build_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "kg.cli", "build", "--out", str(out)]


# ---------------------------------------------------------------- reproducible bytes


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two `kg build` subprocesses, run side by side with different hash seeds."""
    outs, procs = [], []
    for seed in ("1", "4242"):
        out = tmp_path_factory.mktemp(f"seed-{seed}") / "dist"
        procs.append(
            subprocess.Popen(
                build_command(out),
                cwd=ROOT,
                env=kg_env(PYTHONHASHSEED=seed),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        outs.append(out)
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
        assert proc.returncode == 0, stdout + stderr
    return outs


def test_builds_with_different_hash_seeds_are_byte_identical(
    two_builds: list[Path], release_dir: Path
) -> None:
    first, second = (files_of(out) for out in two_builds)
    assert set(first) >= RELEASE_FILES, f"missing: {RELEASE_FILES - set(first)}"
    assert set(first) == set(second)
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"files that differ between the two builds: {differ}"
    in_process = files_of(release_dir)
    assert set(in_process) == set(first)
    differ = [name for name in first if first[name] != in_process[name]]
    assert not differ, f"files that differ from the in-process build: {differ}"


# ---------------------------------------------------------------- checksums


def sums_of(folder: Path) -> dict[str, str]:
    out = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="ascii").splitlines():
        match = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line)
        assert match, f"not a sha256sum line: {line!r}"
        out[match.group(2)] = match.group(1)
    return out


def test_sha256sums_lists_every_other_file_with_its_digest(release_dir: Path) -> None:
    sums = sums_of(release_dir)
    others = {p.name for p in release_dir.iterdir()} - {"SHA256SUMS"}
    assert set(sums) == others
    for name, digest in sums.items():
        assert hashlib.sha256((release_dir / name).read_bytes()).hexdigest() == digest, name


def test_sha256sum_check_accepts_the_release(release_dir: Path) -> None:
    done = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=release_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(sums_of(release_dir))


def test_verify_release_reports_a_changed_file(release_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "release"
    shutil.copytree(release_dir, copy)
    assert verify_release(copy) == []
    target = copy / "positions.csv"
    raw = bytearray(target.read_bytes())
    raw[-3] ^= 0x01
    target.write_bytes(bytes(raw))
    (copy / "register.rdf").unlink()
    problems = verify_release(copy)
    assert any("positions.csv" in p for p in problems), problems
    assert any("register.rdf" in p for p in problems), problems
    assert len(problems) == 2, problems


# ---------------------------------------------------------------- the four dumps


def no_blank_nodes(g: Graph) -> bool:
    return not any(isinstance(term, BNode) for triple in g for term in triple)


def differences(g: Graph, nt: Graph, limit: int = 3) -> str:
    """Triples of one graph that the other lacks, written out term by term (N-Triples terms
    keep the exact lexical form, language tags included)."""
    ours = {" ".join(term.n3() for term in triple) for triple in g}
    theirs = {" ".join(term.n3() for term in triple) for triple in nt}
    lines = [f"  only in the dump: {t}" for t in sorted(ours - theirs)[:limit]]
    lines += [f"  only in register.nt: {t}" for t in sorted(theirs - ours)[:limit]]
    lines.append(f"  ({len(ours - theirs)} and {len(theirs - ours)} triples in all)")
    return "\n".join(lines)


def test_n_triples_dump_is_the_built_graph(built: Built, release_graph: Graph) -> None:
    assert len(release_graph) > 10_000
    assert no_blank_nodes(release_graph)
    assert isomorphic(release_graph, built.result.graph)


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        ("register.ttl", "turtle"),
        # rdflib's JSON-LD and RDF/XML parsers take seconds over the whole dump
        pytest.param("register.jsonld", "json-ld", marks=pytest.mark.slow),
        pytest.param("register.rdf", "xml", marks=pytest.mark.slow),
    ],
)
def test_dump_parses_back_into_the_same_graph(
    release_dir: Path, release_graph: Graph, name: str, syntax: str
) -> None:
    g = Graph().parse(release_dir / name, format=syntax)
    assert no_blank_nodes(g), f"{name} has blank nodes"
    assert len(g) == len(release_graph), name
    assert isomorphic(g, release_graph), f"{name} and register.nt differ:\n" + differences(
        g, release_graph
    )


def test_json_ld_embeds_its_context_and_publishes_it(release_dir: Path) -> None:
    doc = json.loads((release_dir / "register.jsonld").read_text(encoding="utf-8"))
    embedded = doc["@context"]
    assert isinstance(embedded, dict), "the context must be embedded, not a URL to fetch"
    assert embedded["skos"] == "http://www.w3.org/2004/02/skos/core#"
    assert isinstance(doc["@graph"], list) and doc["@graph"]
    context_file = release_dir / "context.jsonld"
    assert context_file.is_file()
    published = json.loads(context_file.read_text(encoding="utf-8"))
    assert published["@context"] == embedded


# ---------------------------------------------------------------- positions.csv


def release_positions(release_dir: Path) -> tuple[list[str], list[dict[str, str]]]:
    raw = (release_dir / "positions.csv").read_bytes().decode("utf-8")
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_positions_csv_starts_with_the_contract_columns(release_dir: Path) -> None:
    header, rows = release_positions(release_dir)
    assert header[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert len(header) == len(set(header))
    assert rows


def test_positions_csv_values_follow_the_contract(release_dir: Path) -> None:
    _, rows = release_positions(release_dir)
    bad = []
    for i, row in enumerate(rows, start=2):
        checks = {
            "position_uri": re.fullmatch(r"https?://\S+", row["position_uri"]),
            "position_label_kk": row["position_label_kk"].strip() == row["position_label_kk"]
            and row["position_label_kk"],
            "block": re.fullmatch(r"[A-D]", row["block"]),
            "tier": re.fullmatch(r"[A-D][1-9]", row["tier"]),
            "step": re.fullmatch(r"([1-9][0-9]?(-[1-9])?)?", row["step"]),
            "sector": row["sector"] in ("healthcare", "education", "other", ""),
            "grade": row["grade"].startswith(row["tier"]),
        }
        bad += [f"line {i}: {col}={row[col]!r}" for col, ok in checks.items() if not ok]
        if row["tier"][:1] != row["block"]:
            bad.append(f"line {i}: tier {row['tier']} is not in block {row['block']}")
    assert not bad, "\n".join(bad)


def test_positions_csv_rows_are_the_curated_positions(release_dir: Path) -> None:
    _, rows = release_positions(release_dir)
    grades = {row["notation"]: row for row in read_rows("grades.csv")}
    curated = read_rows("positions.csv")
    assert len(rows) == len(curated)
    published = {row["position_notation"]: row for row in rows}
    assert set(published) == {row["notation"] for row in curated}
    for row in curated:
        out = published[row["notation"]]
        grade = grades[row["grade"]]
        expected = {
            "position_label_kk": row["label_kk"],
            "block": grade["tier"][0],
            "tier": grade["tier"],
            "step": grade["step"],
            "sector": grade["sector"],
            "grade": row["grade"],
            "source_quote": row["quote"],
            "source_start": row["quote_start"],
            "source_end": row["quote_end"],
        }
        actual = {key: out[key] for key in expected}
        assert actual == expected, row["notation"]
        assert out["position_uri"].endswith(f"/position/{row['notation']}")


def test_csvw_validator_accepts_the_positions_table(release_dir: Path) -> None:
    validator = Path(sys.executable).parent / "csvwvalidate"
    assert validator.exists(), "csvwvalidate (package csvw) is not installed in the venv"
    done = subprocess.run(
        [str(validator), "--lax", "positions.csv-metadata.json"],
        cwd=release_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout


# ---------------------------------------------------------------- atomic output


class Crash(Exception):
    pass


def crash_after(count: int):
    written: list[str] = []

    def fail_after(name: str) -> None:
        written.append(name)
        if len(written) == count:
            raise Crash(f"simulated crash after writing {name}")

    return fail_after


@pytest.fixture
def site(built: Built, tmp_path: Path) -> Path:
    """A private copy of the session's release layout: `dist` link and `.dist-builds/`."""
    return copy_site(built.site, tmp_path / "site")


def assert_intact(site: Path, before: dict, target: str) -> None:
    assert os.readlink(site / "dist") == target
    assert verify_release(site / "dist") == []
    assert snapshot(site) == before


@pytest.mark.slow  # another full build
def test_a_build_that_crashes_after_two_files_leaves_the_release(site: Path) -> None:
    before, target = snapshot(site), os.readlink(site / "dist")
    with pytest.raises(Crash):
        build(site / "dist", fail_after=crash_after(2))
    assert_intact(site, before, target)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_write_release_that_fails_leaves_the_previous_outputs(site: Path, count: int) -> None:
    before, target = snapshot(site), os.readlink(site / "dist")
    artifacts = [
        Artifact(name, "application/octet-stream", f"new {name}\n".encode(), name)
        for name in ("register.ttl", "register.nt", "positions.csv")
    ]
    with pytest.raises(Crash):
        write_release(site / "dist", artifacts, fail_after=crash_after(count))
    assert_intact(site, before, target)


def test_a_release_written_through_a_symlinked_folder_is_kept(tmp_path: Path) -> None:
    """The output folder may be reached through a symbolic link (macOS /tmp, a linked
    checkout): pruning must still recognise the new and the replaced release."""
    real = tmp_path / "real"
    real.mkdir()
    linked = tmp_path / "linked"
    linked.symlink_to(real)
    written = []
    for version in ("1", "2"):
        artifacts = [Artifact("register.nt", "application/n-triples", version.encode(), "nt")]
        written.append(write_release(linked / "dist", artifacts))
        assert verify_release(linked / "dist") == [], f"release {version}"
        assert (linked / "dist" / "register.nt").read_bytes() == version.encode()
    assert {p.name for p in (real / ".dist-builds").iterdir()} == {p.name for p in written}


@pytest.mark.slow  # another full build
def test_an_invalid_graph_is_not_published(site: Path, tmp_path: Path) -> None:
    # Each row is fine on its own; only the SKOS shapes see the broader cycle.
    data = copy_data(tmp_path / "data")
    types = data / "institution_types.csv"
    raw = types.read_text(encoding="utf-8")
    assert raw.count("\nMM,,ММ,") == 1
    types.write_text(raw.replace("\nMM,,ММ,", "\nMM,ZTMO,ММ,"), encoding="utf-8")
    before, target = snapshot(site), os.readlink(site / "dist")
    with pytest.raises(KgError, match="Nothing was published") as caught:
        build(site / "dist", data_dir=data)
    assert "skos:broader cycle" in str(caught.value)
    after = snapshot(site)
    report = "dist.shacl-report.ttl"  # the build leaves its SHACL report beside the link
    assert set(after) - set(before) == {report}
    assert b"institution-type/MM" in after.pop(report)[1]
    assert after == before
    assert os.readlink(site / "dist") == target
    assert verify_release(site / "dist") == []


def wait_for_new_build(builds: Path, known: set[str], proc: subprocess.Popen, limit: float):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if {p.name for p in builds.iterdir()} - known:
            return
        time.sleep(0.002)


@pytest.mark.slow
def test_killed_builds_leave_a_complete_release(site: Path) -> None:
    previous = files_of(site / "dist")
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    builds = site / ".dist-builds"
    log = []
    for attempt in range(4):
        known = {p.name for p in builds.iterdir()}
        proc = subprocess.Popen(
            build_command(site / "dist"),
            cwd=ROOT,
            env=kg_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its SHACL workers die with it
        )
        try:
            if attempt < 2:  # anywhere in the run
                delay = rng.uniform(0.2, 2.5)
                time.sleep(delay)
                where = f"after {delay:.2f} s"
            else:  # while the release folder is being written
                wait_for_new_build(builds, known, proc, limit=60)
                delay = rng.uniform(0, 0.03)
                time.sleep(delay)
                where = f"{delay * 1000:.0f} ms into writing"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.append(f"attempt {attempt}: killed {where}, exit {proc.returncode}")
        context = f"seed {seed}; " + "; ".join(log)
        assert verify_release(site / "dist") == [], context
        current = files_of(site / "dist")
        # The previous release, untouched, or a new one that the build completed.
        assert current == previous or set(current) >= RELEASE_FILES, context
        previous = current

    done = subprocess.run(
        build_command(site / "dist"),
        cwd=ROOT,
        env=kg_env(),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert verify_release(site / "dist") == []
    assert {p.name for p in (site / "dist").iterdir()} >= RELEASE_FILES


@pytest.mark.slow  # another full build
def test_a_build_removes_abandoned_folders_and_keeps_the_replaced_release(site: Path) -> None:
    """kg/release/folder.py: 'Keep the current and the just-replaced release; remove older and
    abandoned builds.' An abandoned folder is what a killed build leaves behind."""
    builds = site / ".dist-builds"
    previous = (site / "dist").resolve()
    time.sleep(0.01)
    abandoned = builds / "build-killed"
    abandoned.mkdir()
    (abandoned / "register.ttl").write_bytes(b"half a file")
    time.sleep(0.01)
    build(site / "dist")
    current = (site / "dist").resolve()
    assert current != previous
    left = {p.name for p in builds.iterdir()}
    assert left == {current.name, previous.name}, (
        f"left {sorted(left)}; expected the new release {current.name} and the replaced "
        f"one {previous.name} (abandoned: {abandoned.name})"
    )
    assert verify_release(previous) == []
