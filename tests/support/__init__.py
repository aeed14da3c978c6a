"""Helpers shared by the tests and the benchmarks: loopback servers, small fixtures, writers.

Nothing here is a test; a test module never imports another test module, and a
benchmark imports only from here (`from tests.support.grobid_server import ...`).
"""
