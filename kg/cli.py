"""`kg` command line: build | validate | serve | site | diff | package | publish."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from kg.errors import KgError
from kg.settings import add_settings_options
from kg.uris import Uris, base_from_env


def _uris(args: argparse.Namespace) -> Uris:
    return Uris(args.base or base_from_env())


def cmd_build(args: argparse.Namespace) -> int:
    from kg.release.build import DATA_DIR, build, release_is_current

    data_dir = Path(args.data) if args.data else DATA_DIR
    if args.if_stale:
        if release_is_current(Path(args.out), data_dir, _uris(args)):
            return 0
        print(f"building the release into {args.out} ...", flush=True)
    result = build(Path(args.out), data_dir, _uris(args))
    reg = result.register
    print(
        f"built {len(result.graph)} triples: {len(reg.grades)} grades, {len(reg.positions)} positions, "
        f"{len(reg.institution_types)} institution types, {len(reg.decisions)} editorial decisions"
    )
    print(result.validation.summary())
    print(f"release: {args.out} -> {result.release}")
    if args.timings:
        print(" ".join(f"{k}={v:.2f}s" for k, v in result.timings.items()))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from kg.release.build import DATA_DIR, validate

    result = validate(Path(args.data) if args.data else DATA_DIR, _uris(args))
    print(result.validation.summary())
    return 0 if result.validation.conforms else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.settings import settings_from_args
    from kg.web.server import serve

    try:
        settings = settings_from_args(args, base_iri=_uris(args).base)
    except ValueError as e:
        raise KgError(str(e)) from None
    if args.release is not None:
        release = Path(args.release)
    else:
        release = Path(args.out)
        _build_if_stale(release, settings.uris.base)
    serve(release.resolve(), settings, host=args.host, port=args.port)
    return 0


def _build_if_stale(out: Path, base: str) -> None:
    """`kg build --if-stale` in a child process: the build's graph and libraries (rdflib,
    pyshacl, openpyxl: some 200 MB) end with that process instead of staying resident in the
    server for as long as it serves."""
    root = str(Path(__file__).resolve().parent.parent)  # the child imports this same code
    path = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    argv = [sys.executable, "-m", "kg.cli", "--base", base, "build"]
    argv += ["--out", str(out), "--if-stale"]
    done = subprocess.run(argv, env={**os.environ, "PYTHONPATH": path}, check=False)
    if done.returncode != 0:
        raise KgError(f"could not build the release into {out} (exit status {done.returncode})")


def cmd_site(args: argparse.Namespace) -> int:
    from kg.export.site import export_site
    from kg.release.build import DATA_DIR, build, release_is_current

    release = Path(args.release)
    uris = _uris(args)
    if not release_is_current(release, DATA_DIR, uris):
        print(f"building the release into {release} ...", flush=True)
        build(release, DATA_DIR, uris)
    done = export_site(release.resolve(), Path(args.outdir), uris.base, prefix=args.prefix)
    print(
        f"site written to {done.out}: {done.files} files, {done.bytes / 1e6:.1f} MB "
        f"({done.html} HTML pages, {done.resources} resources, {done.gzipped} gzip copies; "
        f"{done.linked / 1e6:.1f} MB of it hard links to equal files) in {done.seconds:.1f} s"
    )
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from kg.release.archive import archive_dir_for
    from kg.release.diff import compare, load_release

    def release(arg: str) -> Path:
        """A folder or dump, or a version kept in the archive beside `dist` (kg diff 1.0.0 1.1.0)."""
        path = Path(arg)
        archived = archive_dir_for(Path("dist")) / arg
        return archived if not path.exists() and archived.is_dir() else path

    diff = compare(load_release(release(args.old)), load_release(release(args.new)))
    print(diff.report())
    if args.rdf:
        diff.to_rdf(_uris(args).base).serialize(args.rdf, format="turtle")
        print(f"change set written to {args.rdf}")
    return 0


def cmd_package(args: argparse.Namespace) -> int:
    from kg.release.package import package

    out = package(Path(args.release).resolve(), Path(args.out))
    print(f"package written to {out}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from kg.query.publish import publish

    result = publish(Path(args.release).resolve(), args.graph_store, _uris(args))
    print(f"published {result.triples} triples as <{result.graph}> (HTTP {result.status})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kg", description=__doc__)
    parser.add_argument(
        "--base", help="base IRI of the published URIs (default: $KG_BASE_IRI or the built-in one)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build the graph, validate it, write the release folder")
    p.add_argument("--out", default="dist", help="release folder (a link swapped atomically)")
    p.add_argument("--data", help="curated data folder (default: the project's data/)")
    p.add_argument("--timings", action="store_true", help="print how long each stage took")
    p.add_argument(
        "--if-stale",
        action="store_true",
        help="build only when --out is missing, unsound or built from other inputs "
        "(what `kg serve --out` does before serving)",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "validate", help="build the graph and run the SHACL gate; exit 1 on violations"
    )
    p.add_argument("--data", help="curated data folder (default: the project's data/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "serve",
        help="serve a release (SPARQL, pages, dumps, search), building it first if needed",
        description="Serve a release folder: the one way to start the server. Without "
        "--release, the project's release in --out is built first when missing or stale.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--release", metavar="DIR", help="release folder to serve as it is (never built)"
    )
    where.add_argument(
        "--out",
        default="dist",
        metavar="DIR",
        help="release folder built from the project's data when missing or stale, then served "
        "(default: dist)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    add_settings_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "site",
        help="write the public face as static files: pages, documents, dumps, client-side "
        "search, nginx and Apache rules",
    )
    p.add_argument("outdir", help="folder to write (replaced if an earlier `kg site` made it)")
    p.add_argument(
        "--release",
        default="dist",
        help="release folder (default: dist, built if missing or stale)",
    )
    p.add_argument(
        "--prefix",
        default="/",
        help="URL path the site is served under, for the nginx rules (default: /; the "
        ".htaccess finds its own)",
    )
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("diff", help="compare two releases (folders or .nt/.ttl dumps)")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--rdf", help="also write the change set as Turtle to this file")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "package",
        help="zip a release for open-data portals (dumps, CSVW, DCAT, READMEs, checksums)",
    )
    p.add_argument("--release", default="dist", help="release folder (default: dist)")
    p.add_argument("--out", default="register-1042.zip")
    p.set_defaults(func=cmd_package)

    p = sub.add_parser(
        "publish",
        help="push the release into a SPARQL 1.1 Graph Store (one named graph per release)",
    )
    p.add_argument(
        "--graph-store",
        required=True,
        metavar="URL",
        help="Graph Store Protocol endpoint, e.g. http://host:7878/store",
    )
    p.add_argument("--release", default="dist", help="release folder (default: dist)")
    p.set_defaults(func=cmd_publish)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KgError as exc:
        print(f"kg {args.command}: error:\n{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
