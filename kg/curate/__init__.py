"""Stage 1, the law and the curated files -> checked, typed records.

`source` reads the law text, `cells` a curated CSV file row by row, `register` the whole
register (with `occupations` and `hidden_labels`) into the records of `records`. A problem
is reported with its file and line (kg.errors.CuratedDataError); nothing here knows RDF.
"""
