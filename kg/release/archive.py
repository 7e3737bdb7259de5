"""Every release kept at its version: the archive folder `releases/<version>/` beside `dist`.

Why an archive: a release's dumps must stay at their versioned URLs
(`/downloads/<version>/<file>`) after the next release replaces `dist`, and the next build
needs the previous release to say what changed (kg.release.changes). `dist` holds the latest release
only (kg.release.folder swaps it atomically), so `kg build` copies each release it publishes into
`releases/<version>/`, a persistent folder that git ignores.

Rules:

- A version's folder is written once per build of that version: a rebuild of the same
  version with other data replaces it (a version is not final until `version` in
  data/release.toml moves on); folders of other versions are never touched. A rebuild that
  gives the same bytes leaves the folder as it is.
- A folder is written beside its final place and renamed into it, so an interrupted build
  leaves no half-written version (leftovers start with a dot and are ignored and removed).
- Only folders whose SHA256SUMS lists and matches their files count (kg.release.folder.verify_release);
  the server serves only the files SHA256SUMS lists.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from kg.curate.notation import natural_key
from kg.errors import KgError
from kg.release.folder import BUILDS_DIR_NAME, SUMS_NAME, listed_digests, verify_release

ARCHIVE_DIR_NAME = "releases"
#: A version is one safe path segment: letters, digits and . + _ - (e.g. 1.0.0, 2025.1).
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")
CATALOG_TTL = "catalog.ttl"

_DCAT = "http://www.w3.org/ns/dcat#"
_DCT = "http://purl.org/dc/terms/"
_ADMS = "http://www.w3.org/ns/adms#"


def check_version(version: str) -> str:
    """`version` if it can name a folder and a URL segment, else a KgError saying why."""
    if not VERSION_RE.match(version) or version in (".", ".."):
        raise KgError(
            f"release version {version!r} cannot name a folder and a URL segment: use letters, "
            "digits and . + _ - (e.g. 1.2.0)"
        )
    return version


def version_key(version: str) -> tuple:
    """Order of versions: numbers as numbers (1.10.0 after 1.9.0)."""
    return natural_key(version)


def archive_dir_for(out: Path) -> Path:
    """The archive beside the release link `out` (dist -> releases)."""
    return Path(out).absolute().parent / ARCHIVE_DIR_NAME


def archive_of_release(release_dir: Path) -> Path | None:
    """The archive that belongs to a release folder, if there is one.

    A release folder is either the `dist` link (its archive is beside it) or, resolved, a
    build folder `.dist-builds/<build>` (the archive is beside `.dist-builds`).
    """
    release_dir = Path(release_dir).absolute()
    if release_dir.parent.name == BUILDS_DIR_NAME:
        candidate = release_dir.parent.parent / ARCHIVE_DIR_NAME
    else:
        candidate = release_dir.parent / ARCHIVE_DIR_NAME
    return candidate if candidate.is_dir() else None


@dataclass(frozen=True)
class ArchivedFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ArchivedRelease:
    """One version in the archive, with what its own catalog says about it."""

    version: str
    folder: Path
    #: The release's date (dct:modified of its dataset), if its catalog states it.
    date: date | None = None
    #: Version notes by language (adms:versionNotes).
    notes: dict[str, str] = field(default_factory=dict)
    files: dict[str, ArchivedFile] = field(default_factory=dict)


def read_archived(folder: Path) -> ArchivedRelease:
    """The archived release in `folder` (its name is the version)."""
    digests = listed_digests(folder)
    files = {
        name: ArchivedFile(name, (folder / name).stat().st_size, digest)
        for name, digest in sorted(digests.items())
        if "/" not in name and (folder / name).is_file()
    }
    sums = folder / SUMS_NAME
    if sums.is_file():
        data = sums.read_bytes()
        files[SUMS_NAME] = ArchivedFile(SUMS_NAME, len(data), hashlib.sha256(data).hexdigest())
    when, notes = _catalog_facts(folder / CATALOG_TTL)
    return ArchivedRelease(folder.name, folder, when, notes, dict(sorted(files.items())))


def _catalog_facts(path: Path) -> tuple[date | None, dict[str, str]]:
    """dct:modified and adms:versionNotes of the dataset that has a dcat:version and is no
    version of another (the release's own dataset), from a catalog.ttl."""
    if not path.is_file():
        return None, {}
    triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    versioned = {t.subject.value for t in triples if t.predicate.value == _DCAT + "version"}
    versions = {t.subject.value for t in triples if t.predicate.value == _DCAT + "isVersionOf"}
    main = sorted(versioned - versions)
    if not main:
        return None, {}
    when, notes = None, {}
    for t in triples:
        if t.subject.value != main[0]:
            continue
        if t.predicate.value == _DCT + "modified":
            try:
                when = date.fromisoformat(t.object.value)
            except ValueError:
                when = None
        elif t.predicate.value == _ADMS + "versionNotes" and isinstance(t.object, ox.Literal):
            notes[t.object.language or ""] = t.object.value
    return when, dict(sorted(notes.items()))


def archived_releases(archive: Path | None) -> list[ArchivedRelease]:
    """Every sound version in the archive, oldest first (unsound ones are left out)."""
    if archive is None or not Path(archive).is_dir():
        return []
    found = []
    for folder in Path(archive).iterdir():
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        if not VERSION_RE.match(folder.name) or verify_release(folder):
            continue
        found.append(read_archived(folder))
    return sorted(found, key=lambda r: version_key(r.version))


def previous_release(archive: Path | None, version: str) -> ArchivedRelease | None:
    """The newest archived release older than `version`, if any."""
    older = [r for r in archived_releases(archive) if version_key(r.version) < version_key(version)]
    return older[-1] if older else None


def archive_release(release: Path, archive: Path, version: str) -> Path:
    """Copy the release folder `release` into `archive/<version>/`; return that folder."""
    check_version(version)
    archive.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(archive)
    target = archive / version
    new_sums = (release / SUMS_NAME).read_bytes()
    if (
        target.is_dir()
        and (target / SUMS_NAME).is_file()
        and (target / SUMS_NAME).read_bytes() == new_sums
        and not verify_release(target)
    ):
        return target  # the same release is already archived
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.new-", dir=archive))
    try:
        for name in [*listed_digests(release), SUMS_NAME]:
            shutil.copyfile(release / name, staging / name)
        staging.chmod(0o755)
        problems = verify_release(staging)
        if problems:
            raise KgError(f"archiving {release} failed: {'; '.join(problems[:5])}")
        old = None
        if target.exists():
            old = archive / f".{version}.old-{os.getpid()}"
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def seed_archive(archive: Path, committed: Path, version: str, base: str) -> list[str]:
    """Copy the releases committed with the data (`data/releases/<version>/`) that are older
    than `version` into the archive, where the archive lacks them; return their versions.

    A fresh clone has no archive, so without this its first build would have no previous
    release to compare with. Only sound folders published under the same base IRI count (a
    release under another base is rebuilt from its tagged commit, README.md); a version the
    archive already holds soundly is never replaced.
    """
    seeded: list[str] = []
    if not Path(committed).is_dir():
        return seeded
    for folder in sorted(Path(committed).iterdir(), key=lambda f: version_key(f.name)):
        if not folder.is_dir() or not VERSION_RE.match(folder.name):
            continue
        if version_key(folder.name) >= version_key(version) or verify_release(folder):
            continue
        catalog = folder / CATALOG_TTL
        if not catalog.is_file() or f"<{base}dataset>" not in catalog.read_text("utf-8"):
            continue
        target = Path(archive) / folder.name
        if target.is_dir() and not verify_release(target):
            continue
        archive_release(folder, Path(archive), folder.name)
        seeded.append(folder.name)
    return seeded


def is_archived(release: Path, archive: Path, version: str) -> bool:
    """Whether `archive/<version>` holds exactly this release (same SHA256SUMS, sound)."""
    target = archive / version
    sums = release / SUMS_NAME
    return (
        sums.is_file()
        and (target / SUMS_NAME).is_file()
        and (target / SUMS_NAME).read_bytes() == sums.read_bytes()
        and not verify_release(target)
    )


def _remove_leftovers(archive: Path) -> None:
    """Folders an interrupted archiving left (`.<version>.new-*`, `.<version>.old-*`)."""
    for entry in archive.iterdir():
        if entry.name.startswith(".") and (".new-" in entry.name or ".old-" in entry.name):
            shutil.rmtree(entry, ignore_errors=True)
