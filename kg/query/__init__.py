"""SPARQL over a release: the embedded store with killable worker processes (`store`, which
forks them from `worker` and runs `engine` in them; `local_store`), an external SPARQL 1.1
store (`remote`) and pushing a release into one (`publish`). The guard that refuses SERVICE
and LOAD lives in `engine`.
"""
