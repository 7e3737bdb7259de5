"""The HTTP face: the app, one route table, content negotiation, pages and their machine
twins, the SPARQL protocol, search, reconciliation and the finder, languages and the limits
that bound every request."""
