"""Reading an XML export (Disqus, WordPress) safely and in flat memory, one record at a time.

A hostile file is refused before it can do harm: a document type declaration, where entities
(the billion laughs, an external ``file:///etc/passwd``) are declared, is refused the moment
the parser meets it, so no entity is ever expanded and no file or URL is ever fetched
(defusedxml's parser, with DTDs forbidden; exports never carry one). Only the records a
reader asks for (the elements at one depth, such as Disqus's ``<post>``) are built, each
handed over whole and then dropped, so memory holds one record however big the file grows.

Tags and attributes are matched by their local names: the namespaces around them differ
between versions of a format (WordPress's ``wp:`` is ``.../export/1.0/`` to ``1.2/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, TreeBuilder  # noqa: S405 - defusedxml parses

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from .files import open_binary
from .records import Malformed

CHUNK = 256 * 1024
# One record (a Disqus post, a WordPress post with its comments) is held whole: past this
# much text it is a hostile file, refused before it fills the memory.
MAX_RECORD = 256 * 1024**2
_ELEMENT_COST = 100  # what an element costs beside its text, roughly, in characters


def local(name: str) -> str:
    """A tag's or attribute's name without its namespace: ``{http://disqus.com}post`` -> post."""
    return name.rpartition("}")[2]


def fields(element: Element) -> dict[str, Element]:
    """An element's children by local name (the first of each name)."""
    found: dict[str, Element] = {}
    for child in element:
        found.setdefault(local(child.tag), child)
    return found


def text(element: Element | None) -> str:
    """An element's own text (CDATA included), stripped; "" when it is missing or empty."""
    return (element.text or "").strip() if element is not None else ""


def attribute(element: Element | None, name: str) -> str:
    """The value of the attribute called ``name`` in any namespace (Disqus's ``dsq:id``)."""
    if element is None:
        return ""
    return next((value.strip() for key, value in element.attrib.items()
                 if local(key) == name), "")


class _Records:
    """The parser's target: builds the elements ``depth`` levels inside the root, and only
    those, each with the line it starts on."""

    def __init__(self, root: str, depth: int, kind: str):
        self.root, self.depth, self.kind = root, depth, kind
        self.level = 0
        self.builder: TreeBuilder | None = None
        self.line = self.size = 0
        self.done: list[tuple[Element, str]] = []
        self.expat = None  # the parser's expat parser, which knows where it is

    def where(self) -> str:
        return _where(self.expat.CurrentLineNumber, self.expat.CurrentColumnNumber)

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if self.level == 0 and local(tag) != self.root:
            raise Malformed(f"not {self.kind}: its root element is <{local(tag)}>, "
                            f"not <{self.root}>", self.where())
        if self.level == self.depth:
            self.builder, self.line, self.size = TreeBuilder(), self.expat.CurrentLineNumber, 0
        if self.builder is not None:
            self._grow(_ELEMENT_COST)
            self.builder.start(tag, attributes)
        self.level += 1

    def end(self, tag: str) -> None:
        self.level -= 1
        if self.builder is not None:
            self.builder.end(tag)
            if self.level == self.depth:
                self.done.append((self.builder.close(), f"line {self.line}"))
                self.builder = None

    def data(self, data: str) -> None:
        if self.builder is not None:
            self._grow(len(data))
            self.builder.data(data)

    def _grow(self, size: int) -> None:
        self.size += size
        if self.size > MAX_RECORD:
            raise Malformed(f"the record starting on line {self.line} holds more than "
                            f"{MAX_RECORD // 1024**2} MB; refused", self.where())

    def close(self) -> None:
        return None


def records(path: Path, root: str, depth: int, kind: str) -> Iterator[tuple[Element, str]]:
    """Each element ``depth`` levels inside the root element, whole, with where it starts
    ("line L"), in file order. The root must be called ``root``, else the file is not
    ``kind`` ("a Disqus export"). Raises Malformed, naming line and column (counted from 1),
    at the first thing that is not well-formed XML or is refused."""
    target = _Records(root, depth, kind)
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.expat = parser.parser
    with open_binary(path) as stream:
        try:
            while chunk := stream.read(CHUNK):
                parser.feed(chunk)
                yield from target.done
                target.done.clear()
            parser.close()
        except ParseError as error:
            raise Malformed(_reason(error), _where(*error.position)) from None
        except DefusedXmlException:
            raise Malformed("the file declares a document type (<!DOCTYPE>), where entity "
                            "bombs and external entities hide; no export has one, so it is "
                            "refused unread", target.where()) from None
    yield from target.done


def _reason(error: ParseError) -> str:
    """Expat's message without the position it appends (given separately)."""
    return str(error).split(": line ")[0]


def _where(line: int, column: int) -> str:
    return f"line {line}, column {column + 1}"
