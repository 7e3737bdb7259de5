"""SPARQL over a release: the embedded store with killable worker processes (`store`,
`local_store`), an external SPARQL 1.1 store (`remote`) and pushing a release into one
(`publish`). The guard that refuses SERVICE and LOAD lives in `store`.
"""
