"""Packaging for cord19-pipeline.

The same file serves `pip install .` and Beam's `--setup_file ./setup.py`, which
ships this package to remote workers.
"""
from setuptools import find_packages, setup

setup(
    name="cord19-pipeline",
    version="0.1.0",
    description="An open, reproducible pipeline that builds CORD-19-style releases.",
    python_requires=">=3.10",
    packages=find_packages(include=["pipeline", "pipeline.*", "parsers", "parsers.*", "dedup", "dedup.*",
                                    "release", "release.*", "schemas", "schemas.*"]),
    package_data={
        "schemas": ["*.json"],
        "pipeline": ["sample_snapshot/**/*", "sources.toml"],
    },
    include_package_data=True,
    install_requires=[
        "apache-beam[aws]==2.62.0",  # the newest Beam whose Flink job server resolves from Maven Central here (.ci/run)
        "grobid-client-python>=0.0.7",
        "pdfminer.six>=20221105",
        "lxml>=4.9",
        "pyarrow==16.1.0",  # pinned: metadata.parquet records the writer's version, so releases stay byte-identical
        "requests>=2.28",
        "rapidfuzz>=3.0",
        "boto3>=1.26",
        "jsonschema>=4.17",
        "fastjsonschema>=2.19",
        "matplotlib==3.10.9",  # pinned: report.html holds its SVG charts, so releases stay byte-identical
    ],
    extras_require={
        "test": [
            "pytest>=7",
            "moto[server]>=5",
            "reportlab>=4",  # the sample-snapshot test regenerates the sample and compares bytes
        ],
        "dev": [
            "pubmed-parser>=0.5.1",  # benchmarks/bench_parsers.py compares our JATS parse with it
        ],
        "embeddings": [  # --embedding-model with a Hugging Face or sentence-transformers model (README: cost)
            "torch>=2.2",
            "transformers>=4.40",
            "sentence-transformers>=3.0",
        ],
        "lint": [  # .ci/run; settings in pyproject.toml. Pinned: a new release may add checks.
            "ruff==0.17.6",
            "mypy==2.4.1",
        ],
    },
    entry_points={"console_scripts": ["cord19=pipeline.cli:main"]},
)
