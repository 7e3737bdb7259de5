"""Stage 2, records -> one RDF graph -> the SHACL gate, and the graph's serialisations.

`graph` (with `builder`, `occupations`, `hidden_labels`, `translit`) makes the graph,
`validate` is the gate, `dumps`, `tables`, `spreadsheet` and `sssom` write it out.
"""
