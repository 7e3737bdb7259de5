"""One zip for open-data portals: the release files, READMEs in Kazakh and English, checksums.

The zip is reproducible: entries in name order, a fixed timestamp, fixed permissions.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from kg.errors import KgError
from kg.release.folder import SUMS_NAME, verify_release
from kg.settings import PACKAGE_READMES_DIR as READMES_DIR

#: Zip entries carry this time (the format cannot hold an earlier one).
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def package(release: Path, out: Path, prefix: str = "register-1042") -> Path:
    """Write `out` (a .zip) from a sound release folder; refuse a broken one."""
    problems = verify_release(release)
    if problems:
        raise KgError(f"{release}: not a sound release: {'; '.join(problems)}")
    files = {p.name: p.read_bytes() for p in sorted(release.iterdir()) if p.is_file()}
    for readme in sorted(READMES_DIR.glob("README.*.md")):
        files[readme.name] = readme.read_bytes()
    files.pop(SUMS_NAME, None)
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )
    files[SUMS_NAME] = sums.encode("ascii")
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    tmp.replace(out)
    return out
