"""The WHO COVID-19 database: its CSV export."""
import csv
import io

from .data import PAPER, WhoRow

WHO_HEADER = (
    "Title", "Authors", "Abstract", "Published Year", "Published Month", "Journal", "Volume", "Issue",
    "Pages", "Accession Number", "DOI", "Ref", "Covidence #", "Study", "Notes", "Tags",
)


def who_csv(rows: tuple[WhoRow, ...]) -> bytes:
    """The export of `rows`; blank fields of a row are filled from its paper."""
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
