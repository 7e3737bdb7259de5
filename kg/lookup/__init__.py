"""Finding concepts by the words people type: `search` (Kazakh and Russian normalisation,
ranking), `reconcile` (the Reconciliation API over it) and `finder` (the grade question).

Built from a release's register dump alone, so the server and the static export agree.
"""
