"""Lexical edge cases of SERVICE: texts two SPARQL lexers could read differently.

Shared by the guard's own test (tests/test_service_guard.py) and the hostile-SPARQL corpus.
Each case is a template with ``{url}`` for a loopback URL that records connections; the
comment in front of each says what a lexer other than the engine's might take for a comment,
a string or an IRI. PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import socket
import threading
import time

#: (name, query template). Any of them may be refused or answered; none may connect.
LEXICAL_CASES: list[tuple[str, str]] = [
    # a comment ends at LF for some lexers, at CR too for pyoxigraph
    ("bare CR", "SELECT * WHERE {{ ?a ?b ?c #x\rSERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    ("bare CR, first", "SELECT * WHERE {{ #x\rSERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    ("CRLF", "SELECT * WHERE {{ #x\r\nSERVICE <{url}> {{ ?leak ?p ?o }}\r\n }}"),
    ("LF CR", "SELECT * WHERE {{ #x\n\rSERVICE <{url}> {{ ?leak ?p ?o }} }}"),
    ("vertical tab", "SELECT * WHERE {{ #x\x0bSERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    ("form feed", "SELECT * WHERE {{ #x\x0cSERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    ("form feed as space", "SELECT * WHERE {{\x0cSERVICE\x0c<{url}>\x0c{{ ?leak ?p ?o }} }}"),
    ("NEL", "SELECT * WHERE {{ #x\x85SERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    ("LINE SEPARATOR", "SELECT * WHERE {{ #x\u2028SERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    ("PARAGRAPH SEPARATOR", "SELECT * WHERE {{ #x\u2029SERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    (
        "CR in a short string",
        'SELECT * WHERE {{ BIND("#\rSERVICE <{url}> {{ ?leak ?p ?o }}" AS ?x) }}',
    ),
    # \u escapes: applied before lexing by some parsers, only inside terms by pyoxigraph
    ("escaped keyword", "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?leak ?p ?o }} }}"),
    ("escaped last letter", "SELECT * WHERE {{ SERVIC\\u0045 <{url}> {{ ?leak ?p ?o }} }}"),
    ("long escape", "SELECT * WHERE {{ \\U00000053ERVICE <{url}> {{ ?leak ?p ?o }} }}"),
    (
        "escaped LF in a comment",
        "SELECT * WHERE {{ ?a ?b ?c #x\\u000ASERVICE <{url}> {{ ?leak ?p ?o }}\n }}",
    ),
    (
        "escaped CR in a comment",
        "SELECT * WHERE {{ ?a ?b ?c #x\\u000DSERVICE <{url}> {{ ?leak ?p ?o }}\n }}",
    ),
    (
        "escaped quote in a string",
        'SELECT * WHERE {{ BIND("a\\u0022 AS ?y) SERVICE <{url}> {{ ?leak ?p ?o }} BIND(" AS ?x) }}',
    ),
    # comment characters inside IRIs and strings, and `<` that compares rather than opens an IRI
    ("# in an IRI", "SELECT * WHERE {{ ?s <http://x/#> ?o . SERVICE <{url}> {{ ?leak ?p ?o }} }}"),
    ("# in a string", 'SELECT * WHERE {{ BIND("#" AS ?x) SERVICE <{url}> {{ ?leak ?p ?o }} }}'),
    (
        "# in a long string",
        "SELECT * WHERE {{ BIND('''#\n''' AS ?x) SERVICE <{url}> {{ ?leak ?p ?o }} }}",
    ),
    (
        "comparison read as an IRI",
        "PREFIX : <{url}> SELECT * WHERE {{ FILTER(1<2)SERVICE:e#>\n{{ ?leak ?p ?o }} }}",
    ),
    (
        "variable after a comparison",
        "SELECT * WHERE {{ BIND(<{url}> AS ?e) FILTER(1<2)SERVICE?e#>\n{{ ?leak ?p ?o }} }}",
    ),
    (
        "keyword glued to a number",
        "SELECT * WHERE {{ BIND(1 AS ?x) ?s ?p 1SERVICE<{url}>{{ ?leak ?p ?o }} }}",
    ),
    ("keyword glued to SILENT", "SELECT * WHERE {{ SERVICESILENT<{url}>{{ ?leak ?p ?o }} }}"),
    ("after a dot", "SELECT * WHERE {{ BIND(1 AS ?x).SERVICE<{url}>{{ ?leak ?p ?o }} }}"),
    ("mixed case", "SELECT * WHERE {{ sErViCe <{url}> {{ ?leak ?p ?o }} }}"),
    (
        "long string with quotes",
        'SELECT * WHERE {{ BIND("""a""b" """ AS ?x) SERVICE <{url}> {{ ?leak ?p ?o }} }}',
    ),
    (
        "long string hiding it",
        "SELECT * WHERE {{ BIND('''x\n''' AS ?x) BIND('''SERVICE <{url}> {{ ?leak ?p ?o }}''' AS ?y) }}",
    ),
    (
        "long string then comment",
        "SELECT * WHERE {{ BIND('''x''' AS ?x) #'''\rSERVICE <{url}> {{ ?leak ?p ?o }}\n }}",
    ),
    ("Unicode letters", "SELECT * WHERE {{ \u017fERVICE <{url}> {{ ?leak ?p ?o }} }}"),
    (
        "fullwidth letters",
        "SELECT * WHERE {{ \uff33\uff25\uff32\uff36\uff29\uff23\uff25 <{url}> {{ ?leak ?p ?o }} }}",
    ),
    (
        "in a subquery",
        "SELECT * WHERE {{ {{ SELECT * WHERE {{ #\rSERVICE <{url}> {{ ?leak ?p ?o }}\n }} }} }}",
    ),
    ("in EXISTS", "ASK {{ FILTER NOT EXISTS {{ #\rSERVICE <{url}> {{ ?leak ?p ?o }}\n }} }}"),
    ("ASK", "ASK {{ #\rSERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    ("CONSTRUCT", "CONSTRUCT {{ ?leak ?p ?o }} WHERE {{ #\rSERVICE <{url}> {{ ?leak ?p ?o }}\n }}"),
    # LOAD: an update, which the query grammar has not, whatever the line ends
    ("LOAD", "LOAD <{url}>"),
    ("LOAD after a bare CR", "ASK {{}} #x\rLOAD <{url}>\n"),
    ("LOAD after an update", "INSERT DATA {{ <urn:a> <urn:b> <urn:c> }} ;\rLOAD <{url}>"),
]

#: Valid queries the guard must let through although they mention the word (item: the guard
#: must not refuse what the engine answers).
HARMLESS: list[str] = [
    "SELECT * WHERE { ?s <http://www.w3.org/ns/dcat#service> ?o } LIMIT 1",
    "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?service WHERE { ?c dcat:service ?service }",
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> { }" } # SERVICE <http://x/> {}',
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # the word service in a comment",
    # 40 nested parentheses and the word in a comment: once refused for Python's recursion limit
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 40 + "true" + ")" * 40 + ") } LIMIT 1 # service",
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 400 + "true" + ")" * 400 + ") } LIMIT 1 # service",
    'SELECT * WHERE { BIND("x"@service AS ?x) }',
]


class Listener:
    """A loopback port that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def seen_after(self, before: int, wait: float = 0.3) -> bool:
        time.sleep(wait)
        return self.connections > before

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()
