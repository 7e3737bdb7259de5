"""The static face: every page and document written as files (`site`), with the nginx and
Apache rules that serve them (`hosting`), from the same route table as the server.
"""
