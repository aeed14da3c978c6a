"""Formulas as readable text: TeX when the XML carries it, else linearised MathML.

`flatten_formulas(article)` rewrites every <inline-formula> and <disp-formula> in
place so that it holds nothing but that text (plus the display label, e.g. "(2)"),
which lets the front, body and back readers treat formulas as ordinary text.
Formulas given only as images have no text and become empty.
"""
import re

from lxml import etree

from parsers.jats.text import clean_text, element_text, first_child, local_name

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_TEX_DOCUMENT = re.compile(r"\\begin\{document\}(.*?)\\end\{document\}", re.DOTALL)
_TEX_ANNOTATIONS = ("tex", "latex", "application/x-tex", "application/x-latex", "text/x-tex")
_TOKENS = {"mi", "mn", "mo", "mtext", "ms", "mspace"}


def flatten_formulas(article: etree._Element) -> None:
    """Replace the content of every formula element under `article` by its text."""
    formulas = list(article.iter("inline-formula", "disp-formula"))
    for formula in formulas:
        text = formula_text(formula)
        label = element_text(first_child(formula, "label"))
        if label:
            text = f"{text} {label}" if text else ""
        formula.clear(keep_tail=True)
        formula.text = text


def formula_text(formula: etree._Element) -> str:
    """The formula as TeX when available, else its MathML linearised, else its plain text."""
    tex = next(formula.iter("tex-math"), None)
    if tex is not None:
        return tex_body("".join(tex.itertext()))
    math = next(formula.iter(f"{{{MATHML_NS}}}math"), None)
    if math is None:
        math = next(formula.iter("math"), None)
    if math is not None:
        return mathml_text(math)
    return element_text(formula, skip=frozenset({"label", "graphic", "alternatives"}))


def tex_body(tex: str) -> str:
    """The formula inside a PMC-style full LaTeX document, without $ or $$ delimiters."""
    match = _TEX_DOCUMENT.search(tex)
    body = match.group(1) if match else tex
    return clean_text(body.strip().strip("$"))


def mathml_text(math: etree._Element) -> str:
    """A MathML tree as one line: x_{i}, x^{2}, (a)/(b), sqrt(x); TeX annotations win."""
    for annotation in math.iter(f"{{{MATHML_NS}}}annotation", "annotation"):
        if (annotation.get("encoding") or "").lower() in _TEX_ANNOTATIONS and annotation.text:
            return tex_body(annotation.text)
    return clean_text(_linear(math))


def _group(text: str) -> str:
    return text if len(text) <= 1 else "{" + text + "}"


def _paren(text: str) -> str:
    return text if len(text) <= 1 else "(" + text + ")"


def _linear(elem: etree._Element) -> str:
    name = local_name(elem)
    children = [child for child in elem if isinstance(child.tag, str)]
    parts = [_linear(child) for child in children]
    if name in _TOKENS:
        return clean_text("".join(elem.itertext()))
    if name in ("annotation", "annotation-xml", "none", "mprescripts"):
        return ""
    if name == "semantics":
        return parts[0] if parts else ""
    if name == "msub" and len(parts) == 2:
        return f"{parts[0]}_{_group(parts[1])}"
    if name == "msup" and len(parts) == 2:
        return f"{parts[0]}^{_group(parts[1])}"
    if name == "msubsup" and len(parts) == 3:
        return f"{parts[0]}_{_group(parts[1])}^{_group(parts[2])}"
    if name == "mfrac" and len(parts) == 2:
        return f"{_paren(parts[0])}/{_paren(parts[1])}"
    if name == "msqrt":
        return "sqrt(" + "".join(parts) + ")"
    if name == "mroot" and len(parts) == 2:
        return f"root{_group(parts[1])}({parts[0]})"
    if name == "mfenced":
        separator = (elem.get("separators") or ",").strip()[:1]
        return elem.get("open", "(") + separator.join(parts) + elem.get("close", ")")
    if name == "mtable":
        return "; ".join(parts)
    if name in ("mtr", "mlabeledtr"):
        return " ".join(parts)
    return "".join(parts)
