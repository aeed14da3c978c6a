"""The sample-snapshot generator's parts: the invented data (read from scripts/sample_data/)
and one writer module per wire format. scripts/make_sample_snapshot.py puts them together."""
