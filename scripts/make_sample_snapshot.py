"""Generate the bundled sample snapshot (pipeline/sample_snapshot/).

Every paper, name, identifier and sentence below is invented for this sample; nothing
is copied from a real article. The feed files mirror the real wire formats of the
sources CORD-19 drew on (PubMed efetch XML, PMC efetch JATS, bioRxiv/medRxiv
`details` JSON, arXiv Atom, Crossref works JSON, the WHO database CSV export), the
full texts are PMC-style JATS files and text PDFs written with reportlab.

The sample is built to exercise every stage of `cord19 build`:
- the same paper in several sources (shared DOI / PMID / PMCID), and WHO rows without
  identifiers whose title, authors and year match another entry closely;
- papers outside the scope query, and non-papers (an erratum, a correction notice, an
  announcement, a table of contents);
- several JATS full texts (nested sections, citation xrefs in three real styles
  including ranges like [2-4], a table, a figure) and several PDFs (title, authors,
  abstract, numbered sections, a table, references, running headers);
- one truncated JATS file, one "PDF" that is an HTML error page and one PubMed record
  without a PMID, so the dead-letter path runs on every build.

The output is deterministic: the same bytes on every run (fixed dates, sorted files,
reportlab's invariant mode). Usage, from the project root:

    python scripts/make_sample_snapshot.py [--out pipeline/sample_snapshot]

reportlab is needed (in the `test` extra: pip install -e '.[test]').
"""
import argparse
import calendar
import csv
import hashlib
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "pipeline" / "sample_snapshot"

SNAPSHOT_CREATED = "2021-06-01T00:00:00Z"
QUERY_TERMS = [
    "COVID",
    "COVID-19",
    "Coronavirus",
    "Corona virus",
    "2019-nCoV",
    "SARS-CoV",
    "MERS-CoV",
    "Severe Acute Respiratory Syndrome",
    "Middle East Respiratory Syndrome",
]

XLINK = "http://www.w3.org/1999/xlink"
MML = "http://www.w3.org/1998/Math/MathML"
ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"

MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# --------------------------------------------------------------------------------------
# The invented papers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    given: str  # first and middle names, e.g. "Daniel K"
    last: str
    suffix: str = ""
    affiliation: str = "Department of Epidemiology, Northbridge University, Northbridge, United Kingdom"
    email: str = ""

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.given.replace("-", " ").split())


@dataclass(frozen=True)
class Paper:
    key: str
    title: str
    authors: tuple[Author, ...]
    abstract: tuple[tuple[str, str], ...]  # (label, text); label "" for unstructured
    date: str  # YYYY-MM-DD
    journal: str = ""
    journal_abbrev: str = ""
    issn: str = ""
    publisher: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    arxiv_id: str = ""  # with version, as the arXiv API gives it
    license: str = "cc-by"
    article_type: str = "research-article"
    category: str = ""  # preprint server subject area

    @property
    def abstract_text(self) -> str:
        return " ".join(f"{label}: {text}" if label else text for label, text in self.abstract)

    @property
    def year(self) -> str:
        return self.date[:4]


def authors(*names: str) -> tuple[Author, ...]:
    """Authors from "Given Names|Last[|Suffix]" strings."""
    result = []
    for name in names:
        given, last, *suffix = name.split("|")
        result.append(Author(given=given, last=last, suffix=suffix[0] if suffix else ""))
    return tuple(result)


def plain(text: str) -> tuple[tuple[str, str], ...]:
    return (("", text),)


NB = "Northbridge University Hospital"
PAPERS: tuple[Paper, ...] = (
    Paper(
        key="household",
        title="Household transmission of SARS-CoV-2 in a prospective cohort of urban families",
        authors=(
            Author("Amara", "Okafor", email="a.okafor@northbridge.example.org"),
            Author("Lukas", "Brenner", affiliation="Institute of Virology, Alder Medical School, Alder, Germany"),
            Author("Mei-Ling", "Tan"),
            Author("Rafael Q", "Duarte", affiliation="Institute of Virology, Alder Medical School, Alder, Germany"),
            Author("Helen", "Marsh"),
        ),
        abstract=(
            ("Background", "Households are a main setting for onward transmission of SARS-CoV-2, yet reported secondary attack rates vary widely between studies."),
            ("Methods", "We followed 212 households of a laboratory-confirmed index case for 28 days, testing every member by RT-PCR on days 1, 7 and 14 and for antibodies on day 28."),
            ("Results", "The secondary attack rate was 24.1% (95% CI 20.6-27.9). Spouses and members sharing a bedroom with the index case were infected most often; children under 10 years were infected least often."),
            ("Conclusions", "Isolation of the index case within the home, even if partial, was associated with fewer secondary cases."),
        ),
        date="2020-09-14",
        journal="Journal of Household Epidemiology",
        journal_abbrev="J Household Epidemiol",
        issn="2999-0101",
        publisher="Elsevier",
        volume="12",
        issue="4",
        pages="100412",
        doi="10.1016/j.smplep.2020.100412",
        pmid="99000101",
        pmcid="PMC99100001",
        license="cc-by",
    ),
    Paper(
        key="saliva",
        title="Saliva versus nasopharyngeal swabs for the detection of SARS-CoV-2 RNA in ambulatory patients",
        authors=authors("Sofia|Lindqvist", "Daniel K|Mwangi", "Priya|Raman", "Tomás|Herrera"),
        abstract=plain(
            "Nasopharyngeal swabs are uncomfortable and must be taken by trained staff. We compared "
            "self-collected saliva with clinician-collected nasopharyngeal swabs in 354 ambulatory patients "
            "tested for SARS-CoV-2. Saliva detected 92 of the 98 infections found by either specimen "
            "(sensitivity 93.9%) and swabs detected 89 (90.8%). Cycle threshold values were slightly higher "
            "in saliva. Self-collected saliva is an acceptable specimen for COVID-19 testing outside hospitals."
        ),
        date="2020-05-21",
        doi="10.1101/2020.05.18.990201",
        license="cc-by-nc-nd",
        category="Infectious Diseases (except HIV/AIDS)",
    ),
    Paper(
        key="seroprevalence",
        title="Seroprevalence of SARS-CoV-2 antibodies among staff of a university hospital after the first epidemic wave",
        authors=(
            Author("Jonas", "Weber", affiliation=f"Department of Infection Control, {NB}, Northbridge, United Kingdom", email="jonas.weber@northbridge.example.org"),
            Author("Aisha", "Bello", affiliation=f"Department of Infection Control, {NB}, Northbridge, United Kingdom"),
            Author("Nikolai", "Petrov", affiliation="Clinical Laboratory, Northbridge University Hospital, Northbridge, United Kingdom"),
            Author("Clara", "van der Berg", affiliation="Clinical Laboratory, Northbridge University Hospital, Northbridge, United Kingdom"),
            Author("Samuel", "Osei", affiliation=f"Department of Infection Control, {NB}, Northbridge, United Kingdom"),
        ),
        abstract=(
            ("Background", "Hospital staff are exposed to SARS-CoV-2 at work and in the community, and many infections are mild or silent."),
            ("Methods", "All 4,120 staff of a university hospital were invited to give a blood sample in June 2020, tested for antibodies to the spike protein."),
            ("Results", "Of 2,874 participants, 163 had antibodies (5.7%). Seroprevalence was highest on COVID-19 wards (11.7%) and lowest in administration (2.7%)."),
            ("Conclusions", "Staff with direct patient contact had about twice the seroprevalence of other staff."),
        ),
        date="2020-11-03",
        journal="Hospital Infection Reports",
        journal_abbrev="Hosp Infect Rep",
        issn="2999-0202",
        publisher="Springer Nature",
        volume="20",
        pages="845",
        doi="10.1186/s99879-020-90301-1",
        pmid="99000103",
        pmcid="PMC99100003",
        license="cc-by",
    ),
    Paper(
        key="agemodel",
        title="An age-structured compartmental model of COVID-19 transmission with contact matrices estimated from survey data",
        authors=(
            Author("Elena", "Rossi", affiliation="Department of Mathematics, University of Lagoverde, Lagoverde, Italy", email="elena.rossi@lagoverde.example.org"),
            Author("Marco", "Bianchi", affiliation="Department of Mathematics, University of Lagoverde, Lagoverde, Italy"),
            Author("Yuki", "Tanaka", affiliation="Graduate School of Informatics, Higashiyama University, Kyoto, Japan"),
        ),
        abstract=plain(
            "Models of COVID-19 that assume homogeneous mixing misjudge the effect of interventions that "
            "change contacts in one age group only. We fit an age-structured SEIR model with contact "
            "matrices from a diary survey to regional case data. Closing schools alone lowered the "
            "reproduction number by 9%, halving workplace contacts by 21% and both together by 28%."
        ),
        date="2020-05-20",
        journal="Journal of Mathematical Epidemiology Letters",
        journal_abbrev="J Math Epidemiol Lett",
        issn="2999-0303",
        publisher="Springer Nature",
        volume="3",
        issue="2",
        pages="101-118",
        doi="10.1007/s99538-020-00801-4",
        arxiv_id="2005.99104v2",
        license="arxiv",
    ),
    Paper(
        key="spr",
        title="Binding affinity of coronavirus spike receptor-binding domains to human ACE2 measured by surface plasmon resonance",
        authors=authors("Hannah|Schmidt", "Wei|Zhang", "Olufemi|Adeyemi", "Ingrid|Solberg"),
        abstract=plain(
            "We expressed the receptor-binding domains of four coronavirus spike proteins and measured their "
            "binding to human ACE2 by surface plasmon resonance. The SARS-CoV-2 domain bound about four times "
            "more tightly than the SARS-CoV domain, one bat coronavirus domain bound weakly and another not at all."
        ),
        date="2020-06-04",
        doi="10.1101/2020.06.02.990105",
        license="cc-by",
        category="Biochemistry",
    ),
    Paper(
        key="ventilation",
        title="Classroom ventilation rates and the risk of airborne SARS-CoV-2 transmission in primary schools",
        authors=authors("Anna Maria|Keller", "Brian|Ng", "Ciarán|Fitzgerald"),
        abstract=plain(
            "We measured carbon dioxide concentrations as a proxy for ventilation in 48 primary school "
            "classrooms during winter 2020. Using a well-mixed room model, the estimated risk of airborne "
            "SARS-CoV-2 transmission from one infectious pupil over a school day ranged tenfold between "
            "classrooms. Opening windows for ten minutes every hour halved the estimated risk."
        ),
        date="2021-02-10",
        journal="Indoor Air Quality Research",
        journal_abbrev="Indoor Air Qual Res",
        issn="2999-0404",
        publisher="Northbridge Academic Press",
        volume="7",
        issue="1",
        pages="42-51",
        doi="10.5555/aqr.2021.0042",
        pmid="99000106",
        license="unk",
    ),
    Paper(
        key="olfactory",
        title="Olfactory dysfunction as an early symptom of COVID-19: a prospective case series",
        authors=authors("Laura|Moreau", "Ahmed|Hassan", "Peter J|Collins|Jr"),
        abstract=plain(
            "Among 126 outpatients with confirmed COVID-19 who took a smell identification test within three "
            "days of diagnosis, 74 (58.7%) had reduced smell and in 31 of them smell loss was the first "
            "symptom. Smell had recovered in 52 of the 74 patients after 30 days."
        ),
        date="2020-07-08",
        journal="European Journal of Rhinology Research",
        journal_abbrev="Eur J Rhinol Res",
        issn="2999-0505",
        publisher="Springer Nature",
        volume="277",
        issue="9",
        pages="2451-2458",
        doi="10.1007/s99405-020-06123-9",
        pmid="99000107",
        license="cc-by",
    ),
    Paper(
        key="nurses",
        title="Psychological distress among nurses during the first wave of the COVID-19 pandemic: a cross-sectional survey",
        authors=(
            Author("Grace", "Mensah", affiliation="School of Nursing, Eastmoor University, Eastmoor, Ireland", email="g.mensah@eastmoor.example.org"),
            Author("Olivia", "Hart", affiliation="School of Nursing, Eastmoor University, Eastmoor, Ireland"),
            Author("Kenji", "Mori", affiliation="Department of Psychiatry, Eastmoor General Hospital, Eastmoor, Ireland"),
            Author("Fatima Zahra", "El Idrissi", affiliation="School of Nursing, Eastmoor University, Eastmoor, Ireland"),
        ),
        abstract=plain(
            "We surveyed 1,906 registered nurses of six hospitals in May 2020 with the ten-item Kessler "
            "psychological distress scale. High distress was reported by 41.2% of nurses, more often by those "
            "who had cared for patients with COVID-19 and by those living with children."
        ),
        date="2020-10-19",
        journal="Nursing and Health Research",
        journal_abbrev="Nurs Health Res",
        issn="2999-0606",
        publisher="Northbridge Academic Press",
        volume="9",
        pages="e815",
        doi="10.5555/nhr.2020.0815",
        pmid="99000108",
        pmcid="PMC99100008",
        license="cc-by-nc",
    ),
    Paper(
        key="camels",
        title="Antibodies to MERS-CoV among dromedary camel handlers in livestock markets",
        authors=authors("Yusuf|Al-Amin", "Mariam|Saleh", "Thomas|Greer"),
        abstract=plain(
            "Middle East Respiratory Syndrome coronavirus (MERS-CoV) circulates in dromedary camels. We tested "
            "sera of 611 camel handlers at four livestock markets and found antibodies in 14 (2.3%), all of "
            "whom had daily contact with young camels."
        ),
        date="2019-11-20",
        journal="Zoonoses Research",
        journal_abbrev="Zoonoses Res",
        issn="2999-0707",
        publisher="Northbridge Academic Press",
        volume="31",
        issue="6",
        pages="1107-1113",
        doi="10.5555/zoo.2019.1107",
        pmid="99000109",
        license="unk",
    ),
    Paper(
        key="polymerase",
        title="Nucleoside analogues inhibit the RNA-dependent RNA polymerase of a model coronavirus in vitro",
        authors=authors("Rahul|Mehta", "Julia|Kowalski", "Benedikt|Hofer"),
        abstract=plain(
            "We screened 24 nucleoside analogues against the purified polymerase complex of a model "
            "coronavirus. Three compounds reduced RNA synthesis by more than 90% at 10 micromolar, and one "
            "also blocked replication of the virus in cultured cells."
        ),
        date="2020-04-24",
        doi="10.1101/2020.04.22.990110",
        license="cc-by-nc",
        category="Microbiology",
    ),
    Paper(
        key="wastewater",
        title="Wastewater surveillance anticipates COVID-19 hospital admissions in a mid-sized city",
        authors=authors("Nora|Lindgren", "Carlos|Ibáñez", "Emily|Zhou"),
        abstract=plain(
            "Twice-weekly measurements of SARS-CoV-2 RNA in the influent of a city's wastewater treatment plant "
            "rose four to six days before hospital admissions for COVID-19 during two epidemic waves."
        ),
        date="2020-08-12",
        doi="10.1101/2020.08.10.990111",
        license="cc-by",
        category="Epidemiology",
    ),
    Paper(
        key="surfaces",
        title="Persistence of Severe Acute Respiratory Syndrome coronavirus 2 on common household surfaces",
        authors=authors("Victor|Almeida", "Hana|Novak", "Isaac|Brown"),
        abstract=plain(
            "Infectious virus was recovered from plastic and stainless steel for up to 72 hours and from "
            "cardboard for up to 24 hours at room temperature, with half-lives between 5 and 7 hours."
        ),
        date="2020-08-30",
        journal="Environmental Virology Reports",
        journal_abbrev="Environ Virol Rep",
        issn="2999-0808",
        publisher="Elsevier",
        volume="742",
        pages="140211",
        doi="10.1016/j.smplenv.2020.140211",
        pmid="99000112",
        license="els-covid",
    ),
    Paper(
        key="mobility",
        title="Mobility reductions and the growth rate of COVID-19 cases across European regions",
        authors=authors("Lena|Fischer", "Paolo|Conti"),
        abstract=plain(
            "Using anonymised mobile phone data for 212 regions, we find that a 10% fall in mobility was "
            "followed two weeks later by a 6% fall in the daily growth rate of reported COVID-19 cases."
        ),
        date="2020-06-15",
        arxiv_id="2006.99113v1",
        license="arxiv",
    ),
    Paper(
        key="protease",
        title="Graph neural networks for ranking candidate inhibitors of the SARS-CoV-2 main protease",
        authors=authors("Arjun|Nair", "Sophie|Dubois", "Mateusz|Wójcik"),
        abstract=plain(
            "We train a graph neural network on docking scores and published assay results to rank "
            "compounds against the SARS-CoV-2 main protease. On held-out assays the model ranks true "
            "inhibitors in the top 5% three times as often as docking alone."
        ),
        date="2020-07-02",
        arxiv_id="2007.99114v1",
        license="arxiv",
    ),
    Paper(
        key="thrombosis",
        title="Thrombotic complications in patients admitted to hospital with COVID-19: a retrospective cohort study",
        authors=(
            Author("Michael", "O'Brien", affiliation="Department of Haematology, Riverside Hospital, Westford, United Kingdom", email="m.obrien@riverside.example.org"),
            Author("Isabel", "Cruz", affiliation="Department of Haematology, Riverside Hospital, Westford, United Kingdom"),
            Author("Hiroshi", "Sato", affiliation="Department of Radiology, Riverside Hospital, Westford, United Kingdom"),
            Author("Anne-Marie", "Dupont", affiliation="Department of Haematology, Riverside Hospital, Westford, United Kingdom"),
        ),
        abstract=(
            ("Background", "Patients with COVID-19 appear to be at high risk of thrombosis."),
            ("Methods", "Records of all 1,122 adults admitted with COVID-19 to two hospitals between March and May 2020 were reviewed for imaging-confirmed thrombotic events."),
            ("Results", "Ninety-six patients (8.6%) had a thrombotic event, 24.7% of those treated in intensive care."),
            ("Conclusions", "Thrombotic events were frequent despite standard thromboprophylaxis."),
        ),
        date="2020-12-01",
        journal="Thrombosis Research Letters",
        journal_abbrev="Thromb Res Lett",
        issn="2999-0909",
        publisher="Northbridge Academic Press",
        volume="5",
        issue="12",
        pages="612-620",
        doi="10.5555/thr.2020.0612",
        pmid="99000115",
        pmcid="PMC99100015",
        license="cc-by",
    ),
    Paper(
        key="masks",
        title="Face coverings reduce the dispersion of respiratory droplets carrying a coronavirus surrogate in a laboratory model",
        authors=authors("Tobias|Lang", "Rosa|Martínez"),
        abstract=plain(
            "A cough simulator expelled droplets containing a harmless bacteriophage used as a coronavirus "
            "surrogate. Cotton and surgical face coverings reduced the number of phage particles collected "
            "one metre away by 85% and 94% respectively."
        ),
        date="2020-07-17",
        doi="10.1101/2020.07.15.990116",
        license="cc-by-nd",
        category="Bioengineering",
    ),
    Paper(
        key="mersclinic",
        title="Clinical features and outcomes of Middle East Respiratory Syndrome in a tertiary referral hospital",
        authors=authors("Khalid|Al-Harbi", "Noura|Al-Qahtani", "David|Fernandes"),
        abstract=plain(
            "We describe 57 patients treated for laboratory-confirmed infection at one referral hospital over "
            "three years. Thirty-one needed intensive care and 19 died; older age and diabetes were associated "
            "with death."
        ),
        date="2016-03-01",
        journal="Infectious Disease Reports of the Gulf",
        journal_abbrev="Infect Dis Rep Gulf",
        issn="2999-1010",
        publisher="Northbridge Academic Press",
        volume="8",
        issue="2",
        pages="311-318",
        doi="10.5555/idr.2016.0311",
        pmid="99000117",
        license="unk",
    ),
    Paper(
        key="vitamind",
        title="Vitamin D status and severity of COVID-19 in hospitalised adults: a retrospective cohort",
        authors=authors("Kavita|Sharma", "Erik|Johansson", "Leila|Haddad"),
        abstract=plain(
            "Among 402 adults admitted with COVID-19, serum 25-hydroxyvitamin D below 25 nmol/L was not "
            "associated with admission to intensive care after adjustment for age and comorbidity."
        ),
        date="2020-07-02",
        doi="10.1101/2020.06.30.990118",
        license="cc-by-nc-nd",
        category="Infectious Diseases (except HIV/AIDS)",
    ),
    Paper(
        key="telemedicine",
        title="Uptake of telemedicine consultations in primary care during the COVID-19 pandemic",
        authors=authors("Rebecca|Stone", "Omar|Farouk", "Lucía|Romero"),
        abstract=plain(
            "In 84 general practices the share of consultations held by telephone or video rose from 11% in "
            "February 2020 to 71% in April 2020 and stayed above 40% until the end of the year."
        ),
        date="2021-02-19",
        journal="Primary Care Research",
        journal_abbrev="Prim Care Res",
        issn="2999-1111",
        publisher="Northbridge Academic Press",
        volume="22",
        pages="219-226",
        doi="10.5555/pcr.2021.0219",
        license="cc-by-sa",
    ),
    Paper(
        key="misc",
        title="Multisystem inflammatory syndrome in children after SARS-CoV-2 infection: a regional case series",
        authors=(
            Author("Chiara", "Esposito", affiliation="Department of Paediatrics, Hillcrest Children's Hospital, Hillcrest, United Kingdom", email="c.esposito@hillcrest.example.org"),
            Author("Nathan", "Wells", affiliation="Department of Paediatrics, Hillcrest Children's Hospital, Hillcrest, United Kingdom"),
            Author("Adaeze", "Nwosu", affiliation="Paediatric Intensive Care Unit, Hillcrest Children's Hospital, Hillcrest, United Kingdom"),
            Author("Pierre", "Lefebvre", affiliation="Department of Paediatric Cardiology, Hillcrest Children's Hospital, Hillcrest, United Kingdom"),
        ),
        abstract=plain(
            "Thirty-eight children met the case definition of multisystem inflammatory syndrome between April "
            "and December 2020; 21 needed intensive care and all survived. Evidence of earlier SARS-CoV-2 "
            "infection was found in 35 of them."
        ),
        date="2021-01-07",
        journal="Paediatric Infection Reports",
        journal_abbrev="Paediatr Infect Rep",
        issn="2999-1212",
        publisher="Northbridge Academic Press",
        volume="4",
        issue="1",
        pages="107-115",
        doi="10.5555/ped.2021.0107",
        pmid="99000120",
        pmcid="PMC99100020",
        license="cc-by",
    ),
    Paper(
        key="tracingapp",
        title="Adoption of a contact tracing app and timeliness of COVID-19 case detection",
        authors=authors("Maja|Kovač", "Jonathan|Reid"),
        abstract=plain(
            "Linking app notifications to national test records, we find that contacts notified by the app "
            "were tested on average 1.4 days earlier than contacts traced by telephone."
        ),
        date="2020-10-26",
        arxiv_id="2010.99121v1",
        license="arxiv",
    ),
    Paper(
        key="batcov",
        title="Diversity of bat coronaviruses in cave-roosting colonies revealed by metagenomic sequencing",
        authors=authors("Thanh|Nguyen", "Ana|Sousa", "George|Whitfield"),
        abstract=plain(
            "Metagenomic sequencing of 380 faecal samples from six cave colonies identified 17 distinct "
            "coronavirus lineages, including two related to the sarbecoviruses."
        ),
        date="2021-01-13",
        doi="10.1101/2021.01.11.990122",
        license="cc-by",
        category="Microbiology",
    ),
    Paper(
        key="longcovid",
        title="Persistent symptoms six months after hospital discharge for COVID-19",
        authors=authors("Beatriz|Lopes", "Kwame|Asante", "Julia|Novak"),
        abstract=plain(
            "Six months after discharge, 63% of 517 patients reported at least one persistent symptom, most "
            "often fatigue, breathlessness and poor sleep."
        ),
        date="2021-02-23",
        doi="10.1101/2021.02.20.990123",
        license="cc-by-nc",
        category="Infectious Diseases (except HIV/AIDS)",
    ),
    Paper(
        key="neutralising",
        title="Decline of neutralising antibodies over nine months after mild COVID-19",
        authors=(
            Author("Stefan", "Horvat", affiliation="Institute of Immunology, Alder Medical School, Alder, Germany", email="s.horvat@alder.example.org"),
            Author("Amélie", "Girard", affiliation="Institute of Immunology, Alder Medical School, Alder, Germany"),
            Author("Liam", "O'Connor", affiliation="Institute of Immunology, Alder Medical School, Alder, Germany"),
        ),
        abstract=plain(
            "In 88 adults followed for nine months after mild COVID-19, neutralising antibody titres fell "
            "with a half-life of about 90 days, but remained detectable in 79 of them."
        ),
        date="2021-03-30",
        journal="Immunology Letters Open",
        journal_abbrev="Immunol Lett Open",
        issn="2999-1313",
        publisher="Northbridge Academic Press",
        volume="11",
        pages="330-337",
        doi="10.5555/imm.2021.0330",
        pmid="99000124",
        pmcid="PMC99100024",
        license="cc-by",
    ),
    Paper(
        key="cruise",
        title="Corona virus disease outbreaks on cruise ships: a stochastic modelling study",
        authors=authors("Felix|Wagner", "Ines|Costa"),
        abstract=plain(
            "A stochastic model of a 3,700-person cruise ship shows that quarantine of passengers in their "
            "cabins prevents about two thirds of infections when it starts within five days of the first case."
        ),
        date="2020-09-01",
        journal="Modelling in Infectious Disease",
        journal_abbrev="Model Infect Dis",
        issn="2999-1414",
        publisher="Elsevier",
        volume="2",
        pages="100077",
        doi="10.1016/j.smplmod.2020.100077",
        license="els-covid",
    ),
    Paper(
        key="travellers",
        title="Early detection of 2019-nCoV infection in returning travellers by symptom screening and testing",
        authors=authors("Wei|Li", "Hannah|Cohen", "Marcus|Tan"),
        abstract=plain(
            "Of 1,480 travellers screened at one airport in January 2020, 11 were infected; symptom screening "
            "alone would have missed five of them."
        ),
        date="2020-02-28",
        journal="Travel Medicine Research",
        journal_abbrev="Travel Med Res",
        issn="2999-1515",
        publisher="Northbridge Academic Press",
        volume="27",
        issue="2",
        pages="202-206",
        doi="10.5555/trm.2020.0202",
        pmid="99000126",
        license="unk",
    ),
    Paper(
        key="flights",
        title="Transmission of SARS-CoV-2 on long-haul flights: a contact investigation",
        authors=authors("Karin|Bergström", "Diego|Alvarez"),
        abstract=plain(
            "Following up all passengers of four long-haul flights that carried an infectious case, we found "
            "nine secondary infections, seven of them seated within two rows of the index case."
        ),
        date="2020-01-01",
        journal="Aviation Health",
    ),
    Paper(
        key="ultrasound",
        title="Lung ultrasound findings in patients with COVID-19 pneumonia",
        authors=authors("Giulia|Ferri", "Hamid|Rezaei"),
        abstract=plain(
            "Bedside lung ultrasound in 93 patients showed bilateral B-lines in 89 and subpleural "
            "consolidations in 41; the extent of B-lines correlated with oxygen requirement."
        ),
        date="2020-10-05",
        journal="Emergency Ultrasound Journal",
        journal_abbrev="Emerg Ultrasound J",
        issn="2999-1616",
        publisher="Springer Nature",
        volume="12",
        pages="34",
        doi="10.1007/s99000-020-01734-2",
        pmid="99000128",
        license="cc-by",
    ),
    Paper(
        key="hesitancy",
        title="Hesitancy towards COVID-19 vaccines among university students: a multi-campus survey",
        authors=authors("Zoe|Clarke", "Mohammed|Yousef", "Anja|Keller"),
        abstract=plain(
            "Of 3,211 students at five campuses, 18% said they would probably or certainly refuse a COVID-19 "
            "vaccine; concern about side effects was the most common reason."
        ),
        date="2021-03-08",
        doi="10.1101/2021.03.05.990129",
        license="cc-by",
        category="Public and Global Health",
    ),
    Paper(
        key="escape",
        title="Mutations in the coronavirus spike receptor-binding domain that escape monoclonal antibodies",
        authors=authors("Daniel|Sørensen", "Min-Jun|Park"),
        abstract=plain(
            "Deep mutational scanning of the receptor-binding domain identified 23 single mutations that "
            "abolish binding of at least one of six monoclonal antibodies without reducing ACE2 binding."
        ),
        date="2021-04-21",
        doi="10.1101/2021.04.19.990130",
        license="no-cc",
        category="Immunology",
    ),
    Paper(
        key="feline",
        title="Shedding of feline coronavirus in multi-cat households",
        authors=authors("Eva|Lindholm", "Richard|Hale"),
        abstract=plain(
            "Faecal samples from 143 cats in 31 households were tested monthly for a year; 62% of cats shed "
            "feline coronavirus at least once and 9% shed it in every sample."
        ),
        date="2020-09-18",
        journal="Veterinary Virology Notes",
        journal_abbrev="Vet Virol Notes",
        issn="2999-1717",
        publisher="Northbridge Academic Press",
        volume="15",
        issue="3",
        pages="918-925",
        doi="10.5555/vet.2020.0918",
        pmid="99000131",
        license="unk",
    ),
    # Out of scope: no query term in title or abstract.
    Paper(
        key="influenza",
        title="Influenza vaccine uptake among older adults attending rural clinics",
        authors=authors("Margaret|Doyle", "Sanjay|Kapoor"),
        abstract=plain(
            "Among 2,904 adults aged 65 or older registered with 12 rural clinics, 58% received the seasonal "
            "influenza vaccine; a reminder letter raised uptake by seven percentage points."
        ),
        date="2019-10-15",
        journal="Rural Health Research",
        journal_abbrev="Rural Health Res",
        issn="2999-1818",
        publisher="Northbridge Academic Press",
        volume="19",
        issue="4",
        pages="1415-1421",
        doi="10.5555/rhr.2019.1415",
        pmid="99000141",
        license="unk",
    ),
    Paper(
        key="dengue",
        title="Street-level imagery detects breeding sites of dengue vectors",
        authors=authors("Camila|Rocha", "Arif|Rahman"),
        abstract=plain(
            "A convolutional network trained on 40,000 street-level images located containers holding standing "
            "water with a precision of 0.81, and its counts per district correlated with mosquito trap data."
        ),
        date="2020-09-03",
        doi="10.1101/2020.09.01.990142",
        license="cc-by",
        category="Ecology",
    ),
    Paper(
        key="crops",
        title="Self-supervised pretraining for crop disease detection in leaf images",
        authors=authors("Ravi|Shankar", "Elisa|Marchetti"),
        abstract=plain(
            "Contrastive pretraining on 1.2 million unlabelled leaf images improves the accuracy of a crop "
            "disease classifier fine-tuned on 5,000 labelled images from 71% to 84%."
        ),
        date="2020-09-21",
        arxiv_id="2009.99143v1",
        license="arxiv",
    ),
    Paper(
        key="asthma",
        title="Inhaler adherence and asthma control in adolescents: a cohort study",
        authors=authors("Hugo|Martin", "Aoife|Brennan"),
        abstract=plain(
            "Electronic monitors recorded inhaler use of 312 adolescents for a year; those taking at least 80% "
            "of prescribed doses had half as many exacerbations."
        ),
        date="2020-05-11",
        journal="Adolescent Respiratory Medicine",
        journal_abbrev="Adolesc Respir Med",
        issn="2999-1919",
        publisher="Northbridge Academic Press",
        volume="6",
        pages="544-551",
        doi="10.5555/ast.2020.0544",
        license="cc-by",
    ),
    Paper(
        key="tuberculosis",
        title="Yield of tuberculosis screening with portable chest radiography in prisons",
        authors=authors("Joseph|Mutua", "Sara|Lind"),
        abstract=plain(
            "Portable digital chest radiography with automated reading screened 6,120 prisoners in eight "
            "prisons and found 47 cases of active pulmonary tuberculosis, 29 of them without cough."
        ),
        date="2020-10-14",
        doi="10.1101/2020.10.12.990145",
        license="cc-by",
        category="Epidemiology",
    ),
    # Non-papers: an erratum, a correction notice, an announcement and a table of contents.
    Paper(
        key="erratum",
        title="Erratum: Household transmission of SARS-CoV-2 in a prospective cohort of urban families",
        authors=(),
        abstract=(),
        date="2020-10-21",
        journal="Journal of Household Epidemiology",
        journal_abbrev="J Household Epidemiol",
        issn="2999-0101",
        publisher="Elsevier",
        volume="12",
        issue="5",
        pages="100431",
        doi="10.1016/j.smplep.2020.100431",
        pmid="99000151",
        license="unk",
        article_type="correction",
    ),
    Paper(
        key="correction",
        title="Correction: Seroprevalence of SARS-CoV-2 antibodies among staff of a university hospital after the first epidemic wave",
        authors=authors("Jonas|Weber", "Aisha|Bello", "Nikolai|Petrov", "Clara|van der Berg", "Samuel|Osei"),
        abstract=(),
        date="2020-12-09",
        journal="Hospital Infection Reports",
        journal_abbrev="Hosp Infect Rep",
        issn="2999-0202",
        publisher="Springer Nature",
        volume="20",
        pages="977",
        doi="10.1186/s99879-020-90377-1",
        pmid="99000153",
        pmcid="PMC99100053",
        license="cc-by",
        article_type="correction",
    ),
    Paper(
        key="announcement",
        title="Announcement: rapid review of COVID-19 submissions",
        authors=(),
        abstract=(),
        date="2020-04-15",
        journal="Hospital Infection Reports",
        journal_abbrev="Hosp Infect Rep",
        issn="2999-0202",
        publisher="Springer Nature",
        volume="20",
        pages="301",
        doi="10.1186/s99879-020-90299-0",
        pmcid="PMC99100055",
        license="cc-by",
        article_type="announcement",
    ),
    Paper(
        key="toc",
        title="Table of Contents: special issue on COVID-19 and respiratory care",
        authors=(),
        abstract=(),
        date="2020-11-01",
        journal="Adolescent Respiratory Medicine",
        journal_abbrev="Adolesc Respir Med",
        issn="2999-1919",
        publisher="Northbridge Academic Press",
        volume="6",
        issue="11",
        doi="10.5555/ast.2020.toc11",
        license="unk",
        article_type="table-of-contents",
    ),
)
PAPER = {paper.key: paper for paper in PAPERS}

NOTICE_TEXTS = {  # the body of the notices in the PMC feed, which have no full text
    "correction": (
        f"In the original article (doi:{PAPER['seroprevalence'].doi}) the number of seropositive staff in "
        "administration was misprinted in Table 1. The correct number is 22. The conclusions are unchanged."
    ),
    "announcement": (
        "Until further notice, manuscripts on COVID-19 are sent to reviewers within two days of submission "
        "and accepted articles are published the day after acceptance."
    ),
}

# --------------------------------------------------------------------------------------
# Full texts: sections with inline markers {c:1} {c:2-4} {c:1,3} (citations),
# {f:1} (figure) and {t:1} (table); references are keys of REFERENCES.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    authors: tuple[tuple[str, str], ...]  # (last, initials)
    title: str
    journal: str
    year: int
    volume: str
    pages: str
    doi: str = ""


REFERENCES = {
    "R1": Reference((("Harper", "JT"), ("Olsen", "K")), "Secondary attack rates of respiratory viruses in households: a systematic review", "Epidemiol Rev Northbridge", 2018, "40", "112-125", "10.5555/ref.2018.0001"),
    "R2": Reference((("Quinn", "M"), ("Adebayo", "T"), ("Lund", "S")), "Viral load dynamics of SARS-CoV-2 in the upper respiratory tract", "J Clin Virol Rep", 2020, "12", "45-53", "10.5555/ref.2020.0002"),
    "R3": Reference((("Ortega", "L"), ("Brandt", "F")), "Incubation period of COVID-19 estimated from travel histories", "Epidemiol Lett", 2020, "3", "201-207"),
    "R4": Reference((("Whitaker", "P"), ("Chen", "Y"), ("Moreno", "A")), "Presymptomatic transmission of coronavirus disease 2019", "Infect Dis J Northbridge", 2020, "7", "88-96", "10.5555/ref.2020.0004"),
    "R5": Reference((("Kagame", "R"), ("Dahl", "E")), "A comparison of serological assays for coronavirus antibodies", "Lab Med Rep", 2020, "15", "301-310", "10.5555/ref.2020.0005"),
    "R6": Reference((("Lindberg", "A"), ("Faure", "C")), "Occupational risk of SARS-CoV-2 infection in health care workers", "Occup Health Rep", 2020, "9", "12-19"),
    "R7": Reference((("Ibrahim", "S"), ("Walsh", "D")), "Venous thromboembolism in critically ill patients with viral pneumonia", "Thromb Res Lett", 2019, "22", "150-158", "10.5555/ref.2019.0007"),
    "R8": Reference((("Santos", "R"), ("Kim", "H")), "Anticoagulation strategies in hospitalised patients with COVID-19", "Haematol Rep", 2020, "31", "77-85"),
    "R9": Reference((("Novak", "P"), ("Alvarez", "G")), "Burnout and psychological distress among nurses: a meta-analysis", "Nurs Rev Northbridge", 2017, "28", "410-422", "10.5555/ref.2017.0009"),
    "R10": Reference((("Becker", "T"), ("Rao", "S")), "The Kessler psychological distress scale in occupational surveys", "Psychometr Rep", 2015, "6", "33-41"),
    "R11": Reference((("Okonkwo", "C"), ("Laurent", "M")), "Kawasaki-like disease in children during the COVID-19 pandemic", "Paediatr Rep", 2020, "44", "512-519", "10.5555/ref.2020.0011"),
    "R12": Reference((("Grant", "E"), ("Yilmaz", "O")), "Contact matrices for infectious disease modelling from diary surveys", "Math Biosci Lett", 2017, "290", "1-12", "10.5555/ref.2017.0012"),
    "R13": Reference((("Petrov", "A"), ("Singh", "R")), "Structural basis of coronavirus spike binding to ACE2", "Struct Biol Rep", 2020, "18", "220-229", "10.5555/ref.2020.0013"),
    "R14": Reference((("Meyer", "J"), ("Osei", "K")), "Smell and taste loss in viral upper respiratory infections", "Rhinol Rep", 2018, "56", "99-104"),
    "R15": Reference((("Duval", "H"), ("Park", "S")), "Saliva as a diagnostic specimen for respiratory viruses", "Diagn Microbiol Rep", 2019, "11", "60-67", "10.5555/ref.2019.0015"),
    "R16": Reference((("Holm", "B"), ("Ferreira", "P")), "Designing randomised trials of anticoagulation intensity", "Clin Trials Rep", 2020, "14", "5-13"),
    "R17": Reference((("Fleming", "N"), ("Acosta", "J")), "Toxic shock syndrome in children: a review", "Paediatr Rev Northbridge", 2016, "37", "240-248", "10.5555/ref.2016.0017"),
}


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    subsections: tuple["Section", ...] = ()


@dataclass(frozen=True)
class TableSpec:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FullText:
    sections: tuple[Section, ...]
    references: tuple[str, ...]
    table: TableSpec | None = None
    figure: str = ""  # caption
    acknowledgements: str = ""
    jats_cite_style: str = "separate"  # separate | bracketed | grouped (see jats_citation)
    table_after_section: str = "Results"


FULL_TEXTS = {
    "household": FullText(
        sections=(
            Section("Introduction", (
                "Households concentrate close and prolonged contact, and most studies of SARS-CoV-2 transmission "
                "report that a large share of infections are acquired at home {c:1}. Estimates of the household "
                "secondary attack rate nevertheless range from under 10% to over 40% {c:2-4}, partly because "
                "studies differ in how often contacts are tested.",
                "We followed a prospective cohort of households with repeated testing of every member, so that "
                "secondary infections without symptoms were counted {c:4}. This article reports the secondary "
                "attack rate and the factors associated with it.",
            )),
            Section("Methods", subsections=(
                Section("Study population", (
                    "Index cases were adults with a positive RT-PCR result reported to the city health department "
                    "between April and June 2020. Households with at least one other member were eligible, and 212 "
                    "of 301 invited households took part.",
                )),
                Section("Testing", (
                    "Every household member gave a nasopharyngeal swab on days 1, 7 and 14 after enrolment and a "
                    "blood sample on day 28. Swabs were tested by RT-PCR and sera by an anti-nucleocapsid "
                    "immunoassay {c:5}.",
                )),
            )),
            Section("Results", (
                "Of 597 household contacts, 144 were infected, a secondary attack rate of 24.1% (95% CI 20.6-27.9). "
                "Attack rates by relationship to the index case are given in {t:1}.",
                "Spouses and members who shared a bedroom with the index case were infected most often, and "
                "children under 10 years least often. Most secondary cases were detected within the first week "
                "of follow-up ({f:1}).",
            )),
            Section("Discussion", (
                "Repeated testing found a secondary attack rate close to the upper end of earlier reports {c:1,3}. "
                "Partial isolation of the index case within the home was associated with fewer secondary cases, "
                "which supports advice to separate sleeping arrangements where possible.",
            )),
        ),
        references=("R1", "R2", "R3", "R4", "R5"),
        table=TableSpec(
            "Secondary attack rate by relationship to the index case.",
            ("Relationship", "Contacts", "Infected", "Attack rate (%)"),
            (
                ("Spouse or partner", "188", "67", "35.6"),
                ("Child under 10 years", "121", "17", "14.0"),
                ("Child 10-17 years", "96", "21", "21.9"),
                ("Other adult", "192", "39", "20.3"),
            ),
        ),
        figure="Day of detection of secondary cases after enrolment of the index case.",
        acknowledgements="We thank the households who took part and the staff of the city health department.",
        jats_cite_style="separate",
    ),
    "seroprevalence": FullText(
        sections=(
            Section("Background", (
                "Hospital staff are exposed to SARS-CoV-2 at work and in the community {c:1}. Serological surveys "
                "measure past infection regardless of symptoms and complement case notifications {c:2,3}.",
            )),
            Section("Methods", (
                "All 4,120 staff of a university hospital were invited to give a blood sample in June 2020. "
                "Antibodies to the spike protein were measured with a commercial immunoassay, and positive "
                "samples were confirmed by a neutralisation test {c:2}.",
                "Participants answered a short questionnaire on their role, patient contact and symptoms since "
                "February 2020.",
            )),
            Section("Results", (
                "In total 2,874 staff took part and 163 had antibodies, a seroprevalence of 5.7%. Seroprevalence "
                "was highest among staff working on COVID-19 wards and lowest among administrative staff "
                "({t:1}, {f:1}). One in three seropositive staff reported no symptoms since February 2020.",
            )),
            Section("Discussion", (
                "Seroprevalence among staff with direct patient contact was about twice that of staff without "
                "it, in line with earlier reports {c:1-3}. Regular testing of staff without symptoms may detect "
                "infections that symptom-based policies miss.",
            )),
        ),
        references=("R6", "R5", "R4"),
        table=TableSpec(
            "Seroprevalence of SARS-CoV-2 antibodies by work area.",
            ("Work area", "Tested", "Seropositive", "Prevalence (%)"),
            (
                ("COVID-19 ward", "412", "48", "11.7"),
                ("Emergency department", "338", "27", "8.0"),
                ("Other clinical area", "1304", "66", "5.1"),
                ("Administration", "820", "22", "2.7"),
            ),
        ),
        figure="Seroprevalence by week of sampling and work area.",
        jats_cite_style="bracketed",
    ),
    "nurses": FullText(
        sections=(
            Section("Introduction", (
                "Nurses carried a large part of the clinical workload during the first wave of the COVID-19 "
                "pandemic. Psychological distress among nurses was common before the pandemic {c:1}, and early "
                "reports suggested that it increased sharply {c:2}.",
            )),
            Section("Methods", subsections=(
                Section("Survey", (
                    "We invited all registered nurses of six hospitals to an anonymous online survey in May 2020.",
                )),
                Section("Measures", (
                    "Distress was measured with the ten-item Kessler scale {c:3}, and a score of 22 or more was "
                    "taken as high distress.",
                )),
            )),
            Section("Results", (
                "Of 1,906 nurses who responded, 41.2% reported high distress. High distress was more common "
                "among nurses who had cared for patients with COVID-19 and among those who lived with children "
                "({t:1} and {f:1}).",
            )),
            Section("Discussion", (
                "Four in ten nurses reported high distress, about twice the proportion found in surveys before "
                "the pandemic {c:1-3}. Support for nurses should be planned before the next epidemic wave.",
            )),
        ),
        references=("R9", "R6", "R10"),
        table=TableSpec(
            "Proportion of nurses reporting high psychological distress.",
            ("Group", "Respondents", "High distress (%)"),
            (
                ("Cared for patients with COVID-19", "1044", "47.9"),
                ("Did not care for patients with COVID-19", "862", "33.1"),
                ("Lives with children", "811", "45.6"),
                ("Does not live with children", "1095", "37.9"),
            ),
        ),
        figure="Distribution of Kessler scores by exposure to patients with COVID-19.",
        acknowledgements="We thank the nursing directors of the six hospitals for distributing the survey.",
        jats_cite_style="grouped",
    ),
    "thrombosis": FullText(
        sections=(
            Section("Introduction", (
                "Patients with severe viral pneumonia are at risk of venous thromboembolism {c:1}. Several case "
                "series have reported high rates of thrombotic events in patients with COVID-19 {c:2}, but "
                "estimates from unselected hospital cohorts are scarce.",
            )),
            Section("Methods", (
                "We reviewed the records of all adults admitted with laboratory-confirmed COVID-19 to two "
                "hospitals between March and May 2020. Thrombotic events were venous thromboembolism, ischaemic "
                "stroke and myocardial infarction confirmed by imaging.",
            )),
            Section("Results", (
                "Among 1,122 patients, 96 (8.6%) had at least one thrombotic event. Events were more frequent in "
                "patients treated in intensive care ({t:1}), and most occurred within ten days of admission "
                "({f:1}).",
            )),
            Section("Discussion", (
                "The rate of thrombotic events was high despite standard thromboprophylaxis {c:1,2}. Trials of "
                "more intensive anticoagulation are needed {c:3}; until they report, the choice of dose remains "
                "a clinical judgement {c:1-3}.",
            )),
        ),
        references=("R7", "R8", "R16"),
        table=TableSpec(
            "Thrombotic events by level of care.",
            ("Level of care", "Patients", "Events", "Rate (%)"),
            (("Ward", "948", "53", "5.6"), ("Intensive care", "174", "43", "24.7")),
        ),
        figure="Cumulative incidence of thrombotic events after admission.",
        jats_cite_style="separate",
    ),
    "misc": FullText(
        sections=(
            Section("Introduction", (
                "A multisystem inflammatory syndrome in children was described a few weeks after the first "
                "epidemic wave of COVID-19 {c:1}. Its features overlap with those of Kawasaki disease and of "
                "toxic shock syndrome {c:1,2}.",
            )),
            Section("Methods", (
                "We identified all children under 18 years admitted to the four hospitals of the region between "
                "April and December 2020 who met the case definition of the syndrome.",
            )),
            Section("Results", (
                "Thirty-eight children met the definition; their median age was 8 years. All had fever, 29 had "
                "gastrointestinal symptoms and 21 needed intensive care ({t:1}). Evidence of earlier SARS-CoV-2 "
                "infection was found in 35 children ({f:1}).",
            )),
            Section("Discussion", (
                "All children survived, and cardiac function had recovered in most of them at follow-up. The "
                "timing of admissions after community waves supports a post-infectious mechanism {c:1-3}.",
            )),
        ),
        references=("R11", "R17", "R5"),
        table=TableSpec(
            "Clinical features of children with the syndrome.",
            ("Feature", "Children (n=38)"),
            (
                ("Fever", "38"),
                ("Gastrointestinal symptoms", "29"),
                ("Rash", "22"),
                ("Intensive care", "21"),
                ("Reduced ejection fraction", "15"),
            ),
        ),
        figure="Weekly admissions for the syndrome and regional COVID-19 cases.",
        jats_cite_style="bracketed",
    ),
    "neutralising": FullText(
        sections=(
            Section("Introduction", (
                "How long neutralising antibodies last after mild COVID-19 matters for the risk of reinfection "
                "{c:1}. Most studies have followed patients for less than three months {c:2}.",
            )),
            Section("Methods", (
                "Adults with mild COVID-19 gave blood samples one, three, six and nine months after symptom "
                "onset. Neutralising titres were measured with a live-virus assay.",
            )),
            Section("Results", (
                "Titres fell with a half-life of about 90 days ({f:1}), but neutralising antibodies remained "
                "detectable in 79 of 88 participants at nine months.",
            )),
        ),
        references=("R5", "R2"),
        figure="Neutralising antibody titres over time after symptom onset.",
        jats_cite_style="separate",
    ),
    "saliva": FullText(
        sections=(
            Section("Introduction", (
                "Testing for SARS-CoV-2 usually relies on nasopharyngeal swabs taken by trained staff {c:1}. "
                "Saliva can be collected by patients themselves and has been used to diagnose other respiratory "
                "viruses {c:2,3}.",
            )),
            Section("Methods", (
                "Adults attending two drive-through testing sites gave a nasopharyngeal swab and, within ten "
                "minutes, a saliva sample collected into a sterile tube. Both specimens were tested by the same "
                "RT-PCR assay in the same laboratory.",
            )),
            Section("Results", (
                "Of 354 participants, 98 were positive in at least one specimen. Saliva detected 92 infections "
                "and swabs 89 ({t:1}). Cycle threshold values were on average 1.8 cycles higher in saliva.",
            )),
            Section("Discussion", (
                "Self-collected saliva performed as well as swabs in ambulatory patients, in agreement with "
                "earlier work {c:1-3}. Saliva collection needs neither trained staff nor swabs, which were in "
                "short supply during the first epidemic wave.",
            )),
        ),
        references=("R2", "R15", "R5"),
        table=TableSpec(
            "Detection of SARS-CoV-2 by specimen type (98 infections).",
            ("Specimen", "Positive", "Sensitivity (%)"),
            (("Saliva", "92", "93.9"), ("Nasopharyngeal swab", "89", "90.8"), ("Both", "83", "84.7")),
        ),
    ),
    "agemodel": FullText(
        sections=(
            Section("Introduction", (
                "Compartmental models of COVID-19 often assume homogeneous mixing, although contact rates differ "
                "strongly between age groups {c:1}. We extend an SEIR model with contact matrices estimated from "
                "diary surveys {c:2}.",
            )),
            Section("Model", (
                "The population is divided into 16 five-year age groups. Transmission between groups is "
                "proportional to the number of daily contacts reported in the survey, scaled by an age-specific "
                "susceptibility. Incubation and infectious periods follow published estimates {c:3}.",
            )),
            Section("Results", (
                "The fitted model reproduces the observed age distribution of cases. Closing schools alone "
                "reduces the reproduction number by 9%, while halving workplace contacts reduces it by 21% "
                "({t:1}).",
            )),
            Section("Conclusion", (
                "Age structure changes the predicted effect of interventions and should be part of planning "
                "models {c:1-3}.",
            )),
        ),
        references=("R4", "R12", "R3"),
        table=TableSpec(
            "Reduction of the reproduction number by intervention.",
            ("Intervention", "Reduction (%)"),
            (("School closure", "9"), ("Workplace contacts halved", "21"), ("Both", "28")),
        ),
    ),
    "spr": FullText(
        sections=(
            Section("Introduction", (
                "The receptor-binding domain of the coronavirus spike protein mediates attachment to the human "
                "ACE2 receptor {c:1}. Differences in binding affinity may explain differences in transmissibility "
                "between coronaviruses {c:1,2}.",
            )),
            Section("Methods", (
                "Receptor-binding domains of SARS-CoV, SARS-CoV-2 and two bat coronaviruses were expressed in "
                "insect cells and purified. Binding to immobilised ACE2 was measured by surface plasmon "
                "resonance at 25 degrees Celsius.",
            )),
            Section("Results", (
                "The SARS-CoV-2 domain bound ACE2 with a dissociation constant of 18 nM, about four times more "
                "tightly than the SARS-CoV domain ({t:1}). One bat coronavirus domain bound ACE2 weakly and the "
                "other not at all.",
            )),
            Section("Discussion", (
                "Tighter binding of the SARS-CoV-2 domain is consistent with structural data {c:1} and may "
                "contribute to its efficient spread {c:2}.",
            )),
        ),
        references=("R13", "R2"),
        table=TableSpec(
            "Dissociation constants for binding to human ACE2.",
            ("Receptor-binding domain", "KD (nM)"),
            (("SARS-CoV-2", "18"), ("SARS-CoV", "74"), ("Bat coronavirus A", "910"), ("Bat coronavirus B", "no binding")),
        ),
    ),
    "olfactory": FullText(
        sections=(
            Section("Introduction", (
                "Loss of smell is a recognised feature of viral upper respiratory infections {c:1}. During the "
                "COVID-19 pandemic many patients reported sudden anosmia, sometimes as the first symptom {c:2}.",
                "Most reports relied on questionnaires, which miss partial loss that patients do not notice. We "
                "therefore measured smell with a validated identification test at diagnosis and one month later.",
            )),
            Section("Methods", (
                "Consecutive adults with confirmed COVID-19 at an outpatient clinic completed a smell "
                "identification test within three days of diagnosis and again after 30 days.",
            )),
            Section("Results", (
                "Of 126 patients, 74 (58.7%) had reduced smell at the first test, and in 31 of them smell loss "
                "was the first symptom. After 30 days smell had recovered in 52 of the 74 patients ({t:1}).",
            )),
            Section("Discussion", (
                "Reduced smell was found in more than half of the patients, more often than they reported it "
                "themselves, and it was the first symptom in one in four. Recovery within a month was the rule, "
                "but one patient in three still had reduced smell at the second test.",
                "Sudden loss of smell should prompt testing for COVID-19 {c:1,2}, even without fever or cough.",
            )),
        ),
        references=("R14", "R2"),
        table=TableSpec(
            "Smell test results at diagnosis and after 30 days.",
            ("Smell test", "At diagnosis", "After 30 days"),
            (("Normal", "52", "104"), ("Reduced", "74", "22")),
        ),
    ),
}

# Which papers come with which full text, and how.
JATS_PAPERS = ("household", "seroprevalence", "nurses", "thrombosis", "misc")
BROKEN_JATS_PAPER = "neutralising"  # its JATS file is cut off half-way
PDF_PAPERS = {  # paper key -> (source_x of the document, running header)
    "household": ("Elsevier", "Journal of Household Epidemiology 12 (2020) 100412"),
    "saliva": ("MedRxiv", "medRxiv preprint doi: https://doi.org/10.1101/2020.05.18.990201; this version posted May 21, 2020."),
    "agemodel": ("ArXiv", "arXiv:2005.99104v2 [q-bio.PE] 3 Jul 2020"),
    "spr": ("BioRxiv", "bioRxiv preprint doi: https://doi.org/10.1101/2020.06.02.990105; this version posted June 4, 2020."),
    "olfactory": ("Springer Nature", "European Journal of Rhinology Research (2020) 277:2451-2458"),
}
BROKEN_PDF_PAPER = "vitamind"  # the "PDF" is an HTML error page

# --------------------------------------------------------------------------------------
# Which paper appears in which source
# --------------------------------------------------------------------------------------

PUBMED_PAGES = (
    ("household", "seroprevalence", "ventilation", "olfactory", "nurses", "camels", "surfaces", "thrombosis", "mersclinic"),
    ("misc", "neutralising", "travellers", "ultrasound", "feline", "influenza", "erratum"),
)
PMC_PAPERS = ("household", "seroprevalence", "nurses", "thrombosis", "misc", "neutralising", "correction", "announcement")
BIORXIV_PAPERS = ("polymerase", "spr", "masks", "dengue", "batcov", "escape")
MEDRXIV_PAPERS = ("saliva", "vitamind", "wastewater", "tuberculosis", "longcovid", "hesitancy")
ARXIV_PAPERS = ("agemodel", "mobility", "protease", "crops", "tracingapp")
CROSSREF_PAPERS = (
    "household", "agemodel", "olfactory", "surfaces", "thrombosis", "telemedicine", "cruise",
    "ultrasound", "asthma", "toc",
)
CROSSREF_MEMBERS = {"Elsevier": "78", "Springer Nature": "297", "Northbridge Academic Press": "99999"}


@dataclass(frozen=True)
class WhoRow:
    """One row of the WHO export; a row may restate a paper in its own formatting."""

    paper: str
    covidence: str
    title: str = ""  # "" = the paper's title
    authors: str = ""  # "" = "Last, First Middle; ..." from the paper
    doi: str = ""  # as the export writes it (may be a URL, mixed case)
    journal: str = ""  # "" = the paper's journal
    tags: str = "* Cohort study"


WHO_ROWS = (
    WhoRow("household", "#99001", doi="10.1016/j.smplep.2020.100412", tags="* Cohort study; Transmission"),
    # No identifiers: the same paper as the medRxiv preprint, formatted differently.
    WhoRow(
        "saliva", "#99002",
        title="Saliva vs nasopharyngeal swabs for detection of SARS-CoV-2 RNA in ambulatory patients",
        authors="Lindqvist, S.; Mwangi, D. K.; Raman, P.; Herrera, T.",
        journal="medRxiv",
        tags="* Diagnostic study; Laboratory",
    ),
    WhoRow("seroprevalence", "#99003", doi="https://doi.org/10.1186/S99879-020-90301-1", tags="* Cross-sectional study"),
    # No identifiers: the same paper as the PubMed record, title with a trailing period.
    WhoRow(
        "ventilation", "#99004",
        title="Classroom ventilation rates and risk of airborne SARS-CoV-2 transmission in primary schools.",
        authors="Keller, Anna M.; Ng, Brian; Fitzgerald, Ciaran",
        tags="* Modelling study; Transmission",
    ),
    WhoRow("camels", "#99005", doi="10.5555/ZOO.2019.1107", tags="* Cross-sectional study; Zoonosis"),
    WhoRow("mersclinic", "#99006", doi="doi:10.5555/idr.2016.0311", tags="* Case study/series"),
    WhoRow("telemedicine", "#99007", doi="10.5555/pcr.2021.0219", tags="* Observational study; Health services"),
    WhoRow("longcovid", "#99008", doi="10.1101/2021.02.20.990123", journal="medRxiv", tags="* Cohort study; Clinical aspects"),
    WhoRow("travellers", "#99009", doi="10.5555/trm.2020.0202", tags="* Screening; Epidemiology"),
    WhoRow("flights", "#99010", tags="* Contact tracing; Transmission"),
)

# --------------------------------------------------------------------------------------
# Inline markers
# --------------------------------------------------------------------------------------

MARKER = re.compile(r"\{([cft]):([^}]+)\}")


def cite_numbers(spec: str) -> list[int]:
    """"2-4" -> [2, 3, 4]; "1,3" -> [1, 3]; "5" -> [5]."""
    if "-" in spec:
        first, last = spec.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(part) for part in spec.split(",")]


def cite_label(spec: str) -> str:
    """The printed citation marker: "[2–4]", "[1, 3]", "[5]"."""
    if "-" in spec:
        first, last = spec.split("-")
        return f"[{first}–{last}]"
    return "[" + ", ".join(spec.split(",")) + "]"


def plain_text(text: str) -> str:
    """A marked-up paragraph as printed text (used for the PDFs)."""

    def replace(match: re.Match) -> str:
        kind, spec = match.groups()
        if kind == "c":
            return cite_label(spec)
        return ("Figure " if kind == "f" else "Table ") + spec

    return MARKER.sub(replace, text)


# --------------------------------------------------------------------------------------
# XML helpers
# --------------------------------------------------------------------------------------


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append a child element with optional text and attributes."""
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def append_text(parent: etree._Element, text: str) -> None:
    """Append text after the last child of `parent` (mixed content)."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def xml_bytes(root: etree._Element, doctype: str, pretty: bool) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=doctype, pretty_print=pretty)


# --------------------------------------------------------------------------------------
# PubMed efetch XML
# --------------------------------------------------------------------------------------

PUBMED_DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">'
)


def pubmed_date(parent: etree._Element, tag: str, date: str, **attrs: str) -> None:
    """A PubMed date element with numeric Year, Month and Day."""
    year, month, day = date.split("-")
    element = sub(parent, tag, **attrs)
    sub(element, "Year", year)
    sub(element, "Month", month)
    sub(element, "Day", day)


def pubmed_article(parent: etree._Element, paper: Paper, with_pmid: bool = True) -> None:
    """One PubmedArticle in the efetch (2019 DTD) layout."""
    article_el = sub(parent, "PubmedArticle")
    citation = sub(article_el, "MedlineCitation", Status="MEDLINE", Owner="NLM")
    if with_pmid:
        sub(citation, "PMID", paper.pmid, Version="1")
    pubmed_date(citation, "DateCompleted", paper.date)
    pubmed_date(citation, "DateRevised", "2021-05-04")
    article = sub(citation, "Article", PubModel="Print-Electronic")
    journal = sub(article, "Journal")
    sub(journal, "ISSN", paper.issn, IssnType="Electronic")
    issue = sub(journal, "JournalIssue", CitedMedium="Internet")
    if paper.volume:
        sub(issue, "Volume", paper.volume)
    if paper.issue:
        sub(issue, "Issue", paper.issue)
    pub_date = sub(issue, "PubDate")
    if paper.key == "mersclinic":  # a MedlineDate range, as older records have
        sub(pub_date, "MedlineDate", "2016 Mar-Apr")
    else:
        year, month, day = paper.date.split("-")
        sub(pub_date, "Year", year)
        sub(pub_date, "Month", MONTH_ABBREVIATIONS[int(month) - 1])
        sub(pub_date, "Day", day)
    sub(journal, "Title", paper.journal)
    sub(journal, "ISOAbbreviation", paper.journal_abbrev)
    sub(article, "ArticleTitle", paper.title + ".")
    if paper.pages:
        sub(sub(article, "Pagination"), "MedlinePgn", paper.pages)
    sub(article, "ELocationID", paper.doi, EIdType="doi", ValidYN="Y")
    if paper.abstract:
        abstract = sub(article, "Abstract")
        for label, text in paper.abstract:
            if label:
                sub(abstract, "AbstractText", text, Label=label.upper(), NlmCategory=label.upper())
            else:
                sub(abstract, "AbstractText", text)
        sub(abstract, "CopyrightInformation", f"Copyright © {paper.year} The Authors.")
    if paper.authors:
        author_list = sub(article, "AuthorList", CompleteYN="Y")
        for author in paper.authors:
            author_el = sub(author_list, "Author", ValidYN="Y")
            sub(author_el, "LastName", author.last)
            sub(author_el, "ForeName", author.given)
            sub(author_el, "Initials", author.initials)
            if author.suffix:
                sub(author_el, "Suffix", author.suffix)
            sub(sub(author_el, "AffiliationInfo"), "Affiliation", author.affiliation)
        if paper.key == "household":  # a group author, as many COVID-19 papers have
            sub(sub(author_list, "Author", ValidYN="Y"), "CollectiveName", "Northbridge Household Transmission Study Group")
    sub(article, "Language", "eng")
    types = sub(article, "PublicationTypeList")
    if paper.article_type == "correction":
        sub(types, "PublicationType", "Published Erratum", UI="D016425")
    else:
        sub(types, "PublicationType", "Journal Article", UI="D016428")
    pubmed_date(article, "ArticleDate", paper.date, DateType="Electronic")
    info = sub(citation, "MedlineJournalInfo")
    sub(info, "Country", "England")
    sub(info, "MedlineTA", paper.journal_abbrev)
    sub(info, "NlmUniqueID", "99" + paper.issn.replace("-", ""))
    sub(info, "ISSNLinking", paper.issn)
    sub(citation, "CitationSubset", "IM")
    if paper.key == "erratum":
        corrections = sub(citation, "CommentsCorrectionsList")
        comment = sub(corrections, "CommentsCorrections", RefType="ErratumFor")
        original = PAPER["household"]
        sub(comment, "RefSource", f"{original.journal_abbrev}. 2020 Sep 14;{original.volume}({original.issue}):{original.pages}")
        sub(comment, "PMID", original.pmid, Version="1")
    pubmed_data = sub(article_el, "PubmedData")
    history = sub(pubmed_data, "History")
    for status in ("entrez", "pubmed", "medline"):
        pubmed_date(history, "PubMedPubDate", paper.date, PubStatus=status)
    sub(pubmed_data, "PublicationStatus", "ppublish")
    ids = sub(pubmed_data, "ArticleIdList")
    if with_pmid:
        sub(ids, "ArticleId", paper.pmid, IdType="pubmed")
    sub(ids, "ArticleId", paper.doi, IdType="doi")
    if paper.pmcid:
        sub(ids, "ArticleId", paper.pmcid, IdType="pmc")


MALFORMED_PUBMED = Paper(
    key="malformed",
    title="Serial interval of COVID-19 in a cluster of office workers",
    authors=authors("Anton|Berg"),
    abstract=plain("This record reached the feed without its PMID, so it cannot be identified."),
    date="2020-06-02",
    journal="Occupational Health Reports",
    journal_abbrev="Occup Health Rep",
    issn="2999-2020",
    doi="10.5555/ohr.2020.0602",
)


def pubmed_page(keys: tuple[str, ...], with_malformed: bool) -> bytes:
    root = etree.Element("PubmedArticleSet")
    for key in keys:
        pubmed_article(root, PAPER[key])
    if with_malformed:
        pubmed_article(root, MALFORMED_PUBMED, with_pmid=False)
    return xml_bytes(root, PUBMED_DOCTYPE, pretty=True)


# --------------------------------------------------------------------------------------
# PMC JATS (full-text documents and the PMC efetch feed)
# --------------------------------------------------------------------------------------

JATS_DOCTYPE = (
    '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN" '
    '"JATS-archivearticle1.dtd">'
)
PMC_ARTICLESET_DOCTYPE = (
    '<!DOCTYPE pmc-articleset PUBLIC "-//NLM//DTD ARTICLE SET 2.0//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pmc/articleset/nlm-articleset-2.0.dtd">'
)
LICENSE_URLS = {
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nd": "https://creativecommons.org/licenses/by-nd/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc-nd": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
}


def jats_citation(parent: etree._Element, spec: str, style: str) -> None:
    """Citation xrefs in one of three styles seen in PMC files.

    separate:  <xref>[2]</xref>–<xref>[4]</xref>      (PLOS-like)
    bracketed: [<xref>2</xref>–<xref>4</xref>]        (BMC-like)
    grouped:   <xref rid="b2 b3 b4">[2–4]</xref>      (Elsevier-like)
    """
    numbers = cite_numbers(spec)
    is_range = "-" in spec
    if style == "grouped":
        rids = " ".join(f"bib{n}" for n in numbers)
        element = sub(parent, "xref", cite_label(spec), rid=rids, ref_type="bibr")
        element.tail = ""
        return
    shown = [numbers[0], numbers[-1]] if is_range else numbers
    separator = "–" if is_range else ", "
    if style == "bracketed":
        append_text(parent, "[")
    for index, number in enumerate(shown):
        if index:
            append_text(parent, separator)
        label = str(number) if style == "bracketed" else f"[{number}]"
        sub(parent, "xref", label, ref_type="bibr", rid=f"bib{number}").tail = ""
    if style == "bracketed":
        append_text(parent, "]")


def jats_paragraph(parent: etree._Element, text: str, style: str) -> None:
    p = sub(parent, "p")
    p.text = ""
    position = 0
    for match in MARKER.finditer(text):
        append_text(p, text[position:match.start()])
        kind, spec = match.groups()
        if kind == "c":
            jats_citation(p, spec, style)
        elif kind == "f":
            sub(p, "xref", f"Figure {spec}", ref_type="fig", rid=f"fig{spec}").tail = ""
        else:
            sub(p, "xref", f"Table {spec}", ref_type="table", rid=f"tbl{spec}").tail = ""
        position = match.end()
    append_text(p, text[position:])


def jats_section(parent: etree._Element, section: Section, full_text: FullText, paper: Paper, sec_id: str) -> None:
    sec = sub(parent, "sec", id=sec_id)
    sub(sec, "title", section.title)
    for text in section.paragraphs:
        jats_paragraph(sec, text, full_text.jats_cite_style)
    for index, child in enumerate(section.subsections, start=1):
        jats_section(sec, child, full_text, paper, f"{sec_id}.{index}")
    if section.title == full_text.table_after_section:
        if full_text.table:
            jats_table(sec, full_text.table)
        if full_text.figure:
            fig = sub(sec, "fig", id="fig1", position="float")
            sub(fig, "label", "Figure 1")
            sub(sub(fig, "caption"), "p", full_text.figure)
            sub(fig, "graphic", **{f"{{{XLINK}}}href": f"{paper.pmcid.lower()}-fig1.jpg"})


def jats_table(parent: etree._Element, table: TableSpec) -> None:
    wrap = sub(parent, "table-wrap", id="tbl1", position="float")
    sub(wrap, "label", "Table 1")
    sub(sub(wrap, "caption"), "p", table.caption)
    table_el = sub(wrap, "table", frame="hsides", rules="groups")
    header = sub(sub(table_el, "thead"), "tr")
    for cell in table.header:
        sub(header, "th", cell, align="left")
    body = sub(table_el, "tbody")
    for row in table.rows:
        row_el = sub(body, "tr")
        for cell in row:
            sub(row_el, "td", cell, align="left")


def jats_reference(parent: etree._Element, number: int, reference: Reference, mixed: bool) -> None:
    ref = sub(parent, "ref", id=f"bib{number}")
    sub(ref, "label", str(number))
    if mixed:  # mixed-citation: punctuation kept as text between the elements
        citation = sub(ref, "mixed-citation", publication_type="journal")
        group = sub(citation, "person-group", person_group_type="author")
        for index, (last, initials) in enumerate(reference.authors):
            if index:
                append_text(group, ", ")
            name = sub(group, "string-name")
            sub(name, "surname", last).tail = " "
            sub(name, "given-names", initials)
        append_text(citation, ". ")
        sub(citation, "article-title", reference.title).tail = ". "
        sub(citation, "source", reference.journal).tail = " "
        sub(citation, "year", str(reference.year)).tail = ";"
        sub(citation, "volume", reference.volume).tail = ":"
        first, last = reference.pages.split("-")
        sub(citation, "fpage", first).tail = "–"
        sub(citation, "lpage", last).tail = "."
    else:
        citation = sub(ref, "element-citation", publication_type="journal")
        group = sub(citation, "person-group", person_group_type="author")
        for last, initials in reference.authors:
            name = sub(group, "name")
            sub(name, "surname", last)
            sub(name, "given-names", initials)
        sub(citation, "article-title", reference.title)
        sub(citation, "source", reference.journal)
        sub(citation, "year", str(reference.year))
        sub(citation, "volume", reference.volume)
        first, last = reference.pages.split("-")
        sub(citation, "fpage", first)
        sub(citation, "lpage", last)
    if reference.doi:
        if mixed:
            append_text(citation, " doi: ")
        sub(citation, "pub-id", reference.doi, pub_id_type="doi")


def jats_article(paper: Paper) -> etree._Element:
    """A PMC-style JATS <article> for `paper`, with its full text when it has one."""
    nsmap = {"xlink": XLINK, "mml": MML}
    article = etree.Element("article", nsmap=nsmap)
    article.set("article-type", paper.article_type)
    article.set("dtd-version", "1.2")
    article.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    front = sub(article, "front")
    journal_meta = sub(front, "journal-meta")
    sub(journal_meta, "journal-id", paper.journal_abbrev, journal_id_type="nlm-ta")
    sub(journal_meta, "journal-id", paper.journal_abbrev, journal_id_type="iso-abbrev")
    sub(sub(journal_meta, "journal-title-group"), "journal-title", paper.journal)
    sub(journal_meta, "issn", paper.issn, pub_type="epub")
    sub(sub(journal_meta, "publisher"), "publisher-name", paper.publisher)
    meta = sub(front, "article-meta")
    if paper.pmid:
        sub(meta, "article-id", paper.pmid, pub_id_type="pmid")
    sub(meta, "article-id", paper.pmcid.removeprefix("PMC"), pub_id_type="pmc")
    sub(meta, "article-id", paper.doi, pub_id_type="doi")
    heading = {"correction": "Correction", "announcement": "Announcement"}.get(paper.article_type, "Research Article")
    sub(sub(sub(meta, "article-categories"), "subj-group", subj_group_type="heading"), "subject", heading)
    sub(sub(meta, "title-group"), "article-title", paper.title)
    affiliations = list(dict.fromkeys(author.affiliation for author in paper.authors))
    if paper.authors:
        group = sub(meta, "contrib-group")
        for author in paper.authors:
            contrib = sub(group, "contrib", contrib_type="author")
            if author.email:
                contrib.set("corresp", "yes")
            name = sub(contrib, "name")
            sub(name, "surname", author.last)
            sub(name, "given-names", author.given)
            if author.suffix:
                sub(name, "suffix", author.suffix)
            number = affiliations.index(author.affiliation) + 1
            sub(contrib, "xref", str(number), ref_type="aff", rid=f"aff{number}")
            if author.email:
                sub(contrib, "email", author.email)
        for number, affiliation in enumerate(affiliations, start=1):
            department, institution, city, country = affiliation.split(", ")
            aff = sub(meta, "aff", id=f"aff{number}")
            sub(aff, "label", str(number))
            wrap = sub(aff, "institution-wrap")
            sub(wrap, "institution", department, content_type="dept").tail = ", "
            sub(wrap, "institution", institution)
            append_text(aff, ", ")
            sub(aff, "addr-line", city).tail = ", "
            sub(aff, "country", country)
    year, month, day = paper.date.split("-")
    date = sub(meta, "pub-date", pub_type="epub")
    sub(date, "day", day)
    sub(date, "month", month)
    sub(date, "year", year)
    sub(meta, "volume", paper.volume)
    sub(meta, "elocation-id", paper.pages)
    permissions = sub(meta, "permissions")
    sub(permissions, "copyright-statement", f"© {year} The Author(s)")
    sub(permissions, "copyright-year", year)
    license_el = sub(permissions, "license", license_type="open-access")
    license_el.set(f"{{{XLINK}}}href", LICENSE_URLS[paper.license])
    sub(license_el, "license-p", "This is an open access article distributed under the terms of the Creative Commons licence named in the link above.")
    if paper.abstract:
        abstract = sub(meta, "abstract")
        for label, text in paper.abstract:
            if label:
                sec = sub(abstract, "sec")
                sub(sec, "title", label)
                sub(sec, "p", text)
            else:
                sub(abstract, "p", text)
    full_text = FULL_TEXTS.get(paper.key)
    body = sub(article, "body")
    if full_text:
        for index, section in enumerate(full_text.sections, start=1):
            jats_section(body, section, full_text, paper, f"sec{index}")
        back = sub(article, "back")
        if full_text.acknowledgements:
            ack = sub(back, "ack")
            sub(ack, "title", "Acknowledgements")
            sub(ack, "p", full_text.acknowledgements)
        ref_list = sub(back, "ref-list")
        sub(ref_list, "title", "References")
        for number, key in enumerate(full_text.references, start=1):
            jats_reference(ref_list, number, REFERENCES[key], mixed=full_text.jats_cite_style == "bracketed")
    else:  # a notice: one paragraph of body text
        sub(body, "p", NOTICE_TEXTS[paper.key])
    return article


def jats_document(paper: Paper) -> bytes:
    """The standalone JATS file of a PMC open-access article."""
    return xml_bytes(jats_article(paper), JATS_DOCTYPE, pretty=False)


def pmc_articleset(keys: tuple[str, ...]) -> bytes:
    """A PMC efetch (db=pmc) answer: a pmc-articleset of full JATS articles."""
    root = etree.Element("pmc-articleset")
    for key in keys:
        root.append(jats_article(PAPER[key]))
    return xml_bytes(root, PMC_ARTICLESET_DOCTYPE, pretty=False)


# --------------------------------------------------------------------------------------
# bioRxiv / medRxiv details API
# --------------------------------------------------------------------------------------

RXIV_LICENSES = {
    "cc-by": "cc_by",
    "cc-by-nc": "cc_by_nc",
    "cc-by-nd": "cc_by_nd",
    "cc-by-nc-nd": "cc_by_nc_nd",
    "no-cc": "cc_no",
}


def rxiv_author(author: Author) -> str:
    """"Mwangi, D. K." as the details API writes names."""
    return f"{author.last}, " + " ".join(f"{part[0]}." for part in author.given.replace("-", " ").split())


def rxiv_details(server: str, keys: tuple[str, ...], interval: str) -> bytes:
    """An api.biorxiv.org /details/<server>/<interval> answer (messages + collection)."""
    collection = []
    for key in keys:
        paper = PAPER[key]
        corresponding = paper.authors[0]
        year, month, day = paper.date.split("-")
        collection.append({
            "doi": paper.doi,
            "title": paper.title,
            "authors": "; ".join(rxiv_author(author) for author in paper.authors),
            "author_corresponding": f"{corresponding.given} {corresponding.last}",
            "author_corresponding_institution": "Northbridge University",
            "date": paper.date,
            "version": "1",
            "type": "new results" if server == "biorxiv" else "PUBLISHAHEADOFPRINT",
            "license": RXIV_LICENSES[paper.license],
            "category": paper.category.lower() if server == "biorxiv" else paper.category,
            "jatsxml": f"https://www.{server}.org/content/early/{year}/{month}/{day}/{paper.doi.split('/')[1]}.source.xml",
            "abstract": paper.abstract_text,
            "published": "NA",
            "server": server,
        })
    answer = {
        "messages": [{
            "status": "ok",
            "interval": interval,
            "cursor": 0,
            "count": len(collection),
            "count_new_papers": str(len(collection)),
            "total": str(len(collection)),
        }],
        "collection": collection,
    }
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------------------
# arXiv Atom API
# --------------------------------------------------------------------------------------


ARXIV_REVISED = {"agemodel": "2020-07-03"}  # date of the latest version, when there are several


def arxiv_feed(keys: tuple[str, ...]) -> bytes:
    """An export.arxiv.org/api/query answer (current Atom layout)."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={"opensearch": OPENSEARCH, "arxiv": ARXIV, None: ATOM})
    query = "search_query=submittedDate:[202004010000 TO 202012312359]&id_list=&start=0&max_results=50"
    sub(root, f"{{{ATOM}}}id", "https://arxiv.org/api/sample-snapshot-query")
    sub(root, f"{{{ATOM}}}title", f"arXiv Query: {query}")
    sub(root, f"{{{ATOM}}}updated", "2021-06-01T00:00:00Z")
    sub(root, f"{{{ATOM}}}link", href=f"https://arxiv.org/api/query?{query}", type="application/atom+xml")
    sub(root, f"{{{OPENSEARCH}}}itemsPerPage", "50")
    sub(root, f"{{{OPENSEARCH}}}totalResults", str(len(keys)))
    sub(root, f"{{{OPENSEARCH}}}startIndex", "0")
    categories = {"agemodel": ("q-bio.PE", "physics.soc-ph"), "mobility": ("physics.soc-ph",),
                  "protease": ("cs.LG", "q-bio.BM"), "crops": ("cs.CV",), "tracingapp": ("cs.CY",)}
    for key in keys:
        paper = PAPER[key]
        entry = sub(root, f"{{{ATOM}}}entry")
        sub(entry, f"{{{ATOM}}}id", f"http://arxiv.org/abs/{paper.arxiv_id}")
        sub(entry, f"{{{ATOM}}}title", paper.title)
        sub(entry, f"{{{ATOM}}}updated", f"{ARXIV_REVISED.get(key, paper.date)}T12:00:00Z")
        sub(entry, f"{{{ATOM}}}link", href=f"https://arxiv.org/abs/{paper.arxiv_id}", rel="alternate", type="text/html")
        sub(entry, f"{{{ATOM}}}link", href=f"https://arxiv.org/pdf/{paper.arxiv_id}", rel="related", type="application/pdf", title="pdf")
        sub(entry, f"{{{ATOM}}}summary", paper.abstract_text)
        for term in categories[key]:
            sub(entry, f"{{{ATOM}}}category", term=term, scheme="http://arxiv.org/schemas/atom")
        sub(entry, f"{{{ATOM}}}published", f"{paper.date}T12:00:00Z")
        sub(entry, f"{{{ARXIV}}}primary_category", term=categories[key][0])
        if paper.journal:
            sub(entry, f"{{{ARXIV}}}journal_ref", f"{paper.journal_abbrev} {paper.volume}, {paper.pages} ({paper.year})")
        for author in paper.authors:
            author_el = sub(entry, f"{{{ATOM}}}author")
            sub(author_el, f"{{{ATOM}}}name", f"{author.given} {author.last}")
        if paper.doi:
            sub(entry, f"{{{ARXIV}}}doi", paper.doi)
            sub(entry, f"{{{ATOM}}}link", rel="related", href=f"https://doi.org/{paper.doi}", title="doi")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------------------
# Crossref works API
# --------------------------------------------------------------------------------------


def timestamp_ms(date: str, hour: int) -> int:
    """Milliseconds since the epoch of `date` at `hour`:00 UTC (Crossref's "timestamp")."""
    year, month, day = (int(part) for part in date.split("-"))
    return calendar.timegm((year, month, day, hour, 0, 0)) * 1000


def date_parts(date: str) -> dict:
    return {"date-parts": [[int(part) for part in date.split("-")]]}


def crossref_item(paper: Paper) -> dict:
    """One work in a Crossref /works list answer."""
    item: dict = {
        "indexed": {"date-parts": [[2021, 5, 30]], "date-time": "2021-05-30T04:12:09Z", "timestamp": 1622347929000},
        "reference-count": len(FULL_TEXTS[paper.key].references) if paper.key in FULL_TEXTS else 0,
        "publisher": paper.publisher,
        "content-domain": {"domain": [], "crossmark-restriction": False},
        "short-container-title": [paper.journal_abbrev],
        "DOI": paper.doi,
        "type": "other" if paper.article_type == "table-of-contents" else "journal-article",
        "created": date_parts(paper.date) | {"date-time": f"{paper.date}T08:00:00Z", "timestamp": timestamp_ms(paper.date, 8)},
        "source": "Crossref",
        "is-referenced-by-count": 0,
        "title": [paper.title],
        "prefix": paper.doi.split("/")[0],
        "member": CROSSREF_MEMBERS[paper.publisher],
        "published-online": date_parts(paper.date),
        "container-title": [paper.journal],
        "language": "en",
        "deposited": {"date-parts": [[2021, 5, 1]], "date-time": "2021-05-01T00:00:00Z", "timestamp": 1619827200000},
        "score": 1.0,
        "resource": {"primary": {"URL": f"https://publisher.example.org/article/{paper.doi}"}},
        "issued": date_parts(paper.date),
        "references-count": 0,
        "URL": f"http://dx.doi.org/{paper.doi}",
        "ISSN": [paper.issn],
        "issn-type": [{"value": paper.issn, "type": "electronic"}],
        "published": date_parts(paper.date),
    }
    if paper.volume:
        item["volume"] = paper.volume
    if paper.issue:
        item["issue"] = paper.issue
    if paper.pages:
        item["page"] = paper.pages
    if paper.abstract:
        item["abstract"] = "".join(
            f"<jats:sec><jats:title>{label}</jats:title><jats:p>{text}</jats:p></jats:sec>" if label else f"<jats:p>{text}</jats:p>"
            for label, text in paper.abstract
        )
    if paper.authors:
        item["author"] = [
            {"given": a.given, "family": a.last, "sequence": "first" if i == 0 else "additional", "affiliation": []}
            | ({"suffix": a.suffix} if a.suffix else {})
            for i, a in enumerate(paper.authors)
        ]
    if paper.license in LICENSE_URLS:
        item["license"] = [{"start": date_parts(paper.date), "content-version": "vor", "delay-in-days": 0, "URL": LICENSE_URLS[paper.license]}]
    elif paper.publisher == "Elsevier":
        item["license"] = [{"start": date_parts(paper.date), "content-version": "tdm", "delay-in-days": 0, "URL": "https://www.elsevier.com/tdm/userlicense/1.0/"}]
    if PDF_PAPERS.get(paper.key, ("", ""))[0] == paper.publisher:
        item["link"] = [{"URL": pdf_url(paper), "content-type": "application/pdf", "content-version": "vor", "intended-application": "text-mining"}]
    return item


def crossref_list(keys: tuple[str, ...]) -> bytes:
    items = [crossref_item(PAPER[key]) for key in keys]
    answer = {
        "status": "ok",
        "message-type": "work-list",
        "message-version": "1.0.0",
        "message": {
            "facets": {},
            "next-cursor": "DnF1ZXJ5VGhlbkZldGNoBgAAAAAAsample",
            "total-results": len(items),
            "items": items,
            "items-per-page": 20,
            "query": {"start-index": 0, "search-terms": None},
        },
    }
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------------------
# WHO COVID-19 database export
# --------------------------------------------------------------------------------------

WHO_HEADER = (
    "Title", "Authors", "Abstract", "Published Year", "Published Month", "Journal", "Volume", "Issue",
    "Pages", "Accession Number", "DOI", "Ref", "Covidence #", "Study", "Notes", "Tags",
)


def who_csv(rows: tuple[WhoRow, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(WHO_HEADER)
    for number, row in enumerate(rows, start=1):
        paper = PAPER[row.paper]
        author_text = row.authors or "; ".join(f"{a.last}, {a.given}" for a in paper.authors)
        writer.writerow((
            row.title or paper.title,
            author_text,
            paper.abstract_text,
            paper.year,
            "",
            row.journal or paper.journal,
            paper.volume,
            paper.issue,
            paper.pages,
            "",
            row.doi,
            str(9900 + number),
            row.covidence,
            f"{paper.authors[0].last} {paper.year}",
            "",
            row.tags,
        ))
    return buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------
# PDFs (reportlab, invariant mode) and the broken documents
# --------------------------------------------------------------------------------------

TITLE_STYLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=8)
AUTHOR_STYLE = ParagraphStyle("authors", fontName="Helvetica", fontSize=11, leading=14, spaceAfter=2)
AFFILIATION_STYLE = ParagraphStyle("affiliation", fontName="Helvetica-Oblique", fontSize=9, leading=11, spaceAfter=10)
HEADING_STYLE = ParagraphStyle("heading", fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=8, spaceAfter=4)
SUBHEADING_STYLE = ParagraphStyle("subheading", fontName="Helvetica-Oblique", fontSize=11, leading=14, spaceBefore=4, spaceAfter=3)
BODY_STYLE = ParagraphStyle("body", fontName="Times-Roman", fontSize=11.5, leading=16, spaceAfter=7)
REFERENCE_STYLE = ParagraphStyle("reference", fontName="Times-Roman", fontSize=9.5, leading=12, spaceAfter=3, leftIndent=14, firstLineIndent=-14)
CAPTION_STYLE = ParagraphStyle("caption", fontName="Helvetica-Bold", fontSize=9.5, leading=12, spaceBefore=4, spaceAfter=3)


PDF_DECLARATIONS = (
    ("Funding", "This work received no specific funding."),
    ("Competing interests", "The authors declare that they have no competing interests."),
    ("Data availability", "The data are available from the corresponding author on reasonable request."),
)


def pdf_url(paper: Paper) -> str:
    source = PDF_PAPERS.get(paper.key, ("MedRxiv", ""))[0]
    if source == "ArXiv":
        return f"https://arxiv.org/pdf/{paper.arxiv_id}"
    if source in ("BioRxiv", "MedRxiv"):
        return f"https://www.{source.lower()}.org/content/{paper.doi}v1.full.pdf"
    return f"https://publisher.example.org/pdf/{paper.doi}"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def reference_text(number: int, reference: Reference) -> str:
    names = ", ".join(f"{last} {initials}" for last, initials in reference.authors)
    text = f"[{number}] {names}. {reference.title}. {reference.journal}. {reference.year};{reference.volume}:{reference.pages}."
    return text + (f" doi:{reference.doi}" if reference.doi else "")


def pdf_story(paper: Paper, full_text: FullText) -> list:
    affiliations = list(dict.fromkeys(author.affiliation for author in paper.authors))
    names = ", ".join(
        f"{a.given} {a.last}{' ' + a.suffix if a.suffix else ''}<super>{affiliations.index(a.affiliation) + 1}</super>"
        for a in paper.authors
    )
    story: list = [Paragraph(escape(paper.title), TITLE_STYLE), Paragraph(names, AUTHOR_STYLE)]
    for number, affiliation in enumerate(affiliations, start=1):
        story.append(Paragraph(f"<super>{number}</super> {escape(affiliation)}", AFFILIATION_STYLE))
    story += [Paragraph("Abstract", HEADING_STYLE), Paragraph(escape(paper.abstract_text), BODY_STYLE)]
    for number, section in enumerate(full_text.sections, start=1):
        story.append(Paragraph(f"{number} {escape(section.title)}", HEADING_STYLE))
        story += [Paragraph(escape(plain_text(text)), BODY_STYLE) for text in section.paragraphs]
        for sub_number, subsection in enumerate(section.subsections, start=1):
            story.append(Paragraph(f"{number}.{sub_number} {escape(subsection.title)}", SUBHEADING_STYLE))
            story += [Paragraph(escape(plain_text(text)), BODY_STYLE) for text in subsection.paragraphs]
        if section.title == full_text.table_after_section and full_text.table:
            table = full_text.table
            grid = Table([list(table.header)] + [list(row) for row in table.rows], hAlign="LEFT")
            grid.setStyle(TableStyle([
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
            ]))
            story.append(KeepTogether([Paragraph(f"Table 1. {escape(table.caption)}", CAPTION_STYLE), grid, Spacer(1, 6)]))
    for heading, text in PDF_DECLARATIONS:
        story += [Paragraph(heading, HEADING_STYLE), Paragraph(text, BODY_STYLE)]
    story.append(Paragraph("References", HEADING_STYLE))
    for number, key in enumerate(full_text.references, start=1):
        story.append(Paragraph(escape(reference_text(number, REFERENCES[key])), REFERENCE_STYLE))
    return story


def pdf_document(paper: Paper, running_header: str) -> bytes:
    """A text PDF of `paper`: the same bytes on every run (invariant mode)."""

    def draw_page_furniture(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, running_header)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, str(document.page))
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=30 * mm,
        topMargin=25 * mm,
        bottomMargin=22 * mm,
        title=paper.title,
        author="; ".join(f"{a.given} {a.last}" for a in paper.authors),
        creator="cord19-pipeline sample generator",
        invariant=1,
    )
    document.build(pdf_story(paper, FULL_TEXTS[paper.key]), onFirstPage=draw_page_furniture, onLaterPages=draw_page_furniture)
    return buffer.getvalue()


HTML_ERROR_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>503 Service Temporarily Unavailable</title></head>
<body>
<h1>Service Temporarily Unavailable</h1>
<p>The full text you asked for cannot be delivered right now because the server is busy. Please try again later.</p>
</body>
</html>
"""


def truncated(data: bytes) -> bytes:
    """The first 60% of a document, as an interrupted download leaves it."""
    return data[: len(data) * 3 // 5]


# --------------------------------------------------------------------------------------
# The snapshot
# --------------------------------------------------------------------------------------

ID_NAMES = ("doi", "pmcid", "pubmed_id", "arxiv_id", "who_covidence_id", "mag_id", "s2_id")


def document_ids(**values: str) -> dict:
    return {name: values.get(name) or None for name in ID_NAMES}


@dataclass
class Snapshot:
    files: dict[str, bytes] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)

    def add_source(self, name: str, kind: str, pages: list[tuple[str, bytes]]) -> None:
        paths = []
        for file_name, data in pages:
            path = f"feeds/{name}/{file_name}"
            self.files[path] = data
            paths.append(path)
        self.sources.append({"name": name, "kind": kind, "files": paths})

    def add_document(self, data: bytes, doc_type: str, source: str, url: str, license_: str, path: str = "", **ids: str) -> None:
        sha1 = hashlib.sha1(data).hexdigest()
        path = path or f"documents/pdf/{sha1}.pdf"
        self.files[path] = data
        self.documents.append({
            "path": path,
            "sha1": sha1,
            "type": doc_type,
            "source": source,
            "ids": document_ids(**ids),
            "license": license_,
            "url": url,
        })


def build_snapshot() -> dict[str, bytes]:
    """Every file of the sample snapshot, by relative path."""
    snapshot = Snapshot()
    snapshot.add_source("pubmed", "pubmed", [
        (f"page-{number:04d}.xml", pubmed_page(keys, with_malformed=number == len(PUBMED_PAGES)))
        for number, keys in enumerate(PUBMED_PAGES, start=1)
    ])
    snapshot.add_source("pmc", "pmc", [("page-0001.xml", pmc_articleset(PMC_PAPERS))])
    snapshot.add_source("biorxiv", "biorxiv", [("page-0001.json", rxiv_details("biorxiv", BIORXIV_PAPERS, "2020-04-01/2021-04-30"))])
    snapshot.add_source("medrxiv", "medrxiv", [("page-0001.json", rxiv_details("medrxiv", MEDRXIV_PAPERS, "2020-04-01/2021-04-30"))])
    snapshot.add_source("arxiv", "arxiv", [("page-0001.atom.xml", arxiv_feed(ARXIV_PAPERS))])
    snapshot.add_source("crossref", "crossref", [("page-0001.json", crossref_list(CROSSREF_PAPERS))])
    snapshot.add_source("who", "who", [("export.csv", who_csv(WHO_ROWS))])

    for key in JATS_PAPERS + (BROKEN_JATS_PAPER,):
        paper = PAPER[key]
        data = jats_document(paper)
        if key == BROKEN_JATS_PAPER:
            data = truncated(data)
        snapshot.add_document(
            data, "jats", "PMC",
            url=f"https://www.ebi.ac.uk/europepmc/webservices/rest/{paper.pmcid}/fullTextXML",
            license_=paper.license,
            path=f"documents/pmc/{paper.pmcid}.xml",
            doi=paper.doi, pmcid=paper.pmcid, pubmed_id=paper.pmid,
        )
    for key, (source, header) in PDF_PAPERS.items():
        paper = PAPER[key]
        ids = {"arxiv_id": paper.arxiv_id.split("v")[0]} if source == "ArXiv" else {"doi": paper.doi}
        snapshot.add_document(pdf_document(paper, header), "pdf", source, pdf_url(paper), paper.license, **ids)
    broken = PAPER[BROKEN_PDF_PAPER]
    snapshot.add_document(HTML_ERROR_PAGE, "pdf", "MedRxiv", pdf_url(broken), broken.license, doi=broken.doi)

    files = dict(snapshot.files)
    files["documents.jsonl"] = "".join(
        json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"
        for line in sorted(snapshot.documents, key=lambda line: line["path"])
    ).encode("utf-8")
    manifest = {
        "created": SNAPSHOT_CREATED,
        "query": {"terms": QUERY_TERMS, "fields": ["title", "abstract"]},
        "sources": sorted(snapshot.sources, key=lambda source: source["name"]),
        "files": {path: hashlib.sha256(files[path]).hexdigest() for path in sorted(files)},
        "failures": [],
    }
    files["snapshot.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def write_snapshot(files: dict[str, bytes], out: Path) -> None:
    """Replace `out` with exactly `files` (refuses a non-empty folder that is not a snapshot)."""
    if out.exists():
        if any(out.iterdir()) and not (out / "snapshot.json").exists():
            raise SystemExit(f"{out} is not empty and holds no snapshot.json; refusing to replace it")
        shutil.rmtree(out)
    for path, data in sorted(files.items()):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder to (re)write")
    args = parser.parse_args(argv)
    files = build_snapshot()
    write_snapshot(files, args.out)
    total = sum(len(data) for data in files.values())
    print(f"wrote {len(files)} files, {total} bytes, to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
