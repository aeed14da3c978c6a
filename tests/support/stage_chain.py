"""ClusterPapers -> AssignCordUids -> HarmonizeMetadata, chained as in the build, on
invented source records and parsed documents (two records and three documents of one paper,
an arXiv paper without documents, and a document no paper claims)."""
import apache_beam as beam

from pipeline.stages import DEAD_LETTERS
from pipeline.stages.assign_cord_uids import CHANGES, REGISTRY, AssignCordUids
from pipeline.stages.cluster_papers import REPORT, ClusterPapers
from pipeline.stages.harmonize import ATTACHED, HarmonizeMetadata
from pipeline.stages.parse_documents import ParsedDocument

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


def parsed(doc_type: str, sha1: str, json_path: str, **ids: str) -> ParsedDocument:
    return ParsedDocument(type=doc_type, sha1=sha1, json_path=json_path, ids=ids, source="PMC", paper_json=b"{}")


DOCS = [
    parsed("jats", "c" * 40, "document_parses/pmc_json/PMC100.xml.json", pmcid="PMC100"),
    parsed("pdf", PDF_SHA1, f"document_parses/pdf_json/{PDF_SHA1}.json", doi="10.1/ward"),
    parsed("pdf", PDF_SHA1, f"document_parses/pdf_json/{PDF_SHA1}.json", pubmed_id="100"),
    parsed("pdf", ORPHAN_SHA1, f"document_parses/pdf_json/{ORPHAN_SHA1}.json", doi="10.9/nobody"),
]


def cluster_assign_harmonize(p, records=RECORDS, docs=DOCS):
    """The three stages chained as in the build; every output by name."""
    clustered = p | "Records" >> beam.Create(records) | ClusterPapers()
    assigned = clustered["clusters"] | AssignCordUids()
    documents = p | "Docs" >> beam.Create(docs)
    harmonized = {"assigned": assigned["assigned"], "parsed": documents} | HarmonizeMetadata()
    return {"rows": harmonized["rows"], "attached": harmonized[ATTACHED], "dead": harmonized[DEAD_LETTERS],
            "registry": assigned[REGISTRY], "changes": assigned[CHANGES], "report": clustered[REPORT]}
