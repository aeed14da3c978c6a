"""PDFs to CORD-19 pdf_json: through GROBID's TEI, or with the pdfminer.six fallback.

- `document.pdf_to_pdf_json(data, grobid)`: one PDF, through GROBID when a client is
  given, else through the fallback; either way paper_id is the PDF's SHA-1.
- `tei.tei_to_pdf_json(tei, paper_id)`: GROBID TEI XML to pdf_json.
- `sandbox.parse_pdf(data)`: the fallback, run in a child process under a time and a
  memory limit; the child runs `fallback.pdf_layout_to_pdf_json`, which assembles the
  paper from `layout` (pdfminer's text boxes, in reading order, cleaned), `paragraphs`
  (the printed paragraphs rebuilt from the lines, footnotes), `blocks` (headings,
  captions, fragments), `front_matter` (title, authors, affiliations, abstract),
  `tables`, `references` (the bib entries) and `citations` (markers linked to them).
- `errors`: the typed errors, and `check_pdf_bytes` for inputs that are no PDF at all.

The modules are imported directly (`from parsers.pdf.document import pdf_to_pdf_json`):
this package imports nothing itself, so the sandbox's child process starts lean.
"""
