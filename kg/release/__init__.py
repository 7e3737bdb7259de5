"""Stage 3, graph -> release folder: files, checksums, DCAT/VoID, change log, archive.

`build` runs the pipeline; `folder` writes and verifies a release folder atomically;
`archive`, `changes` and `diff` keep and compare releases; `catalog` describes them;
`package` zips one for open-data portals.
"""
