"""ClusterPapers -> AssignCordUids -> HarmonizeMetadata, chained as in the build, on
invented source records and parsed documents (two records and three documents of one paper,
an arXiv paper without documents, and a document no paper claims)."""
import hashlib
from pathlib import Path

import apache_beam as beam

from pipeline.stages import DEAD_LETTERS
from pipeline.stages.assign_cord_uids import CHANGES, REGISTRY_WRITTEN, AssignCordUids
from pipeline.stages.cluster_papers import REPORT, ClusterPapers
from pipeline.stages.harmonize import PLACED, HarmonizeMetadata
from pipeline.stages.parse_documents import ParsedRef

PARSE = b"{}"  # the bytes every invented parse holds

PDF_SHA1 = "a" * 40
ORPHAN_SHA1 = "b" * 40  # a parsed document no paper claims


def source_record(source: str, source_id: str, title: str, **ids: str) -> dict:
    all_ids = {key: None for key in ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")}
    all_ids.update(ids)
    return {"source": source, "source_id": source_id, "ids": all_ids, "title": title, "abstract": "",
            "authors": [{"first": "Jane", "middle": [], "last": "Doe", "suffix": ""}], "publish_time": "2020-03-01",
            "journal": "J Virol", "license": "cc-by", "urls": [], "documents": []}


RECORDS = [
    source_record("PMC", "PMC100", "Coronavirus spread in wards", pmcid="PMC100", doi="10.1/ward"),
    source_record("Medline", "100", "Coronavirus spread in wards", pubmed_id="100", doi="10.1/ward"),
    source_record("ArXiv", "2001.00001", "A different coronavirus model", arxiv_id="2001.00001"),
]


def parsed(doc_type: str, sha1: str, json_path: str, **ids: str) -> ParsedRef:
    return ParsedRef(type=doc_type, sha1=sha1, json_path=json_path, ids=ids, source="PMC",
                     candidate=f"_work/parses/{sha1}.json", member=f"_work/parses/{sha1}.member.gz", size=len(PARSE), sha256=hashlib.sha256(PARSE).hexdigest())


DOCS = [
    parsed("jats", "c" * 40, "document_parses/pmc_json/PMC100.xml.json", pmcid="PMC100"),
    parsed("pdf", PDF_SHA1, f"document_parses/pdf_json/{PDF_SHA1}.json", doi="10.1/ward"),
    parsed("pdf", PDF_SHA1, f"document_parses/pdf_json/{PDF_SHA1}.json", pubmed_id="100"),
    parsed("pdf", ORPHAN_SHA1, f"document_parses/pdf_json/{ORPHAN_SHA1}.json", doi="10.9/nobody"),
]


def write_candidates(staging: Path, docs=DOCS) -> None:
    """The parse files the documents' references point at, as ParseDocuments would have written them."""
    for doc in docs:
        (staging / doc.candidate).parent.mkdir(parents=True, exist_ok=True)
        (staging / doc.candidate).write_bytes(PARSE)


def cluster_assign_harmonize(p, staging: Path, records=RECORDS, docs=DOCS):
    """The three stages chained as in the build (parse candidates in `staging`); every output by name."""
    clustered = p | "Records" >> beam.Create(records) | ClusterPapers()
    assigned = clustered["clusters"] | AssignCordUids(str(staging))
    documents = p | "Docs" >> beam.Create(docs)
    harmonized = ({"summaries": assigned["summaries"], "uids": assigned["uids"], "parsed": documents}
                  | HarmonizeMetadata(str(staging)))
    return {"rows": harmonized["rows"], "placed": harmonized[PLACED], "dead": harmonized[DEAD_LETTERS],
            "registry": assigned[REGISTRY_WRITTEN], "changes": assigned[CHANGES], "report": clustered[REPORT]}
