"""The tables of benchmarks/README.md's results section, one module per family of benchmarks;
each function renders one benchmark's JSON record as Markdown lines. benchmarks/report.py picks
the function by the record's ``benchmark`` name and writes the section."""
