"""parse_jats on hostile XML: no entity expansion, no local file reads, no network."""
import http.server
import threading

import pytest

from parsers.errors import ParseError, UnsafeXmlError
from parsers.jats import parse_jats

LAUGHS = b"".join(
    b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10)
)
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY lol0 "lol">' + LAUGHS
                  + b']><article><front><article-meta><title-group><article-title>&lol9;'
                  b"</article-title></title-group></article-meta></front></article>")


def external_entity_article(system_id: str, padding: int = 0) -> bytes:
    pad = b"<!-- " + b"x" * padding + b" -->" if padding else b""
    return (b"<!DOCTYPE article [" + pad + b'<!ENTITY ext SYSTEM "' + system_id.encode() + b'">]>'
            b"<article><front><article-meta><title-group><article-title>T&ext;</article-title>"
            b"</title-group></article-meta></front><body><p>x&ext;</p></body></article>")


def test_billion_laughs_is_refused():
    with pytest.raises(UnsafeXmlError) as caught:
        parse_jats(BILLION_LAUGHS)
    assert caught.value.reason == "unsafe_xml"


def test_billion_laughs_declared_late_is_refused_too():
    pad = b"<!-- " + b"x" * 70000 + b" -->"
    data = BILLION_LAUGHS.replace(b"<!DOCTYPE article [", b"<!DOCTYPE article [" + pad)
    with pytest.raises(UnsafeXmlError):
        parse_jats(data)


@pytest.mark.parametrize("padding", [0, 70000])
def test_external_entity_is_refused_and_never_reads_a_local_file(tmp_path, padding):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    with pytest.raises(UnsafeXmlError) as caught:
        parse_jats(external_entity_article(secret.as_uri(), padding))
    assert "TOP-SECRET-VALUE" not in str(caught.value)


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.requests.append(self.path)
        body = b'<!ENTITY ext "FETCHED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recording_server():
    _RecordingHandler.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_no_network_for_external_dtd_or_entities(recording_server):
    doctype_only = (f'<!DOCTYPE article PUBLIC "-//NLM//DTD JATS//EN" "{recording_server}/jats.dtd">'
                    "<article><front/><body><p>Plain.</p></body></article>").encode()
    assert parse_jats(doctype_only).paper["body_text"][0]["text"] == "Plain."
    for padding in (0, 70000):
        with pytest.raises(UnsafeXmlError):
            parse_jats(external_entity_article(f"{recording_server}/entity.xml", padding))
    parameter_entity = (f'<!DOCTYPE article [<!ENTITY % remote SYSTEM "{recording_server}/p.dtd"> %remote;]>'
                        "<article><front/></article>").encode()
    with pytest.raises(UnsafeXmlError):
        parse_jats(parameter_entity)
    assert _RecordingHandler.requests == []


@pytest.mark.parametrize("open_tag, close_tag", [("<sec><title>t</title>", "</sec>"),
                                                 ("<named-content>", "</named-content>")])
def test_deep_nesting_parses_up_to_the_xml_depth_limit_and_fails_cleanly_beyond(open_tag, close_tag):
    def nested(depth: int) -> bytes:
        return f"<article><front/><body><p>{open_tag * depth}x{close_tag * depth}</p></body></article>".encode()

    assert parse_jats(nested(250), "deep").paper["body_text"]
    with pytest.raises(ParseError):
        parse_jats(nested(5000))
