"""The browser benchmark's size measure: the gzipped bytes (gzip -9) a reader downloads to
get the comment section, Kommentar's ``embed.js`` (its stylesheet and English are in it)
against Isso's ``js/embed.min.js`` plus ``css/isso.css``, which Isso's script fetches
separately. (Kommentar's chunks load only when a reader acts, or reads another language.)
"""

from __future__ import annotations

import gzip
from pathlib import Path

from browser_servers import ISSO_PACKAGE

EMBED = Path(__file__).resolve().parents[1] / "embed.js"
SIZE_TARGET = 1 / 2  # embed.js gzipped, as a share of Isso's


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(isso_package_dir: str | Path = ISSO_PACKAGE, embed: str | Path = EMBED) -> dict:
    """Raw and gzip -9 bytes of Kommentar's embed.js, and of Isso's script plus stylesheet
    (each file gzipped on its own: they are separate responses).

    Isso 0.14 does not bundle its CSS: embed.min.js adds a ``<link>`` to
    ``<server>/css/isso.css`` (unless ``data-isso-css="false"``), so both files count,
    each gzipped on its own as they are two responses.
    """
    package = Path(isso_package_dir)
    script = Path(embed).read_bytes()
    isso_js = (package / "js" / "embed.min.js").read_bytes()
    isso_css = (package / "css" / "isso.css").read_bytes()
    css_fetched = b"/css/isso.css" in isso_js
    isso_files = {"js/embed.min.js": isso_js, "css/isso.css": isso_css}
    counted = isso_files if css_fetched else {"js/embed.min.js": isso_js}
    isso_raw = sum(len(data) for data in counted.values())
    isso_gzip = sum(_gzipped(data) for data in counted.values())
    kommentar_gzip = _gzipped(script)
    return {
        "kommentar": {"file": "embed.js", "raw": len(script),
                      "gzip": kommentar_gzip},
        "isso": {
            "files": {name: {"raw": len(data), "gzip": _gzipped(data)}
                      for name, data in isso_files.items()},
            "css_separate": css_fetched,
            "note": ("embed.min.js loads css/isso.css with a <link> of its own"
                     if css_fetched else "the stylesheet is bundled in embed.min.js"),
            "raw": isso_raw,
            "gzip": isso_gzip,
        },
        "ratio": round(kommentar_gzip / isso_gzip, 3),
        "target": SIZE_TARGET,
        "meets_target": kommentar_gzip <= SIZE_TARGET * isso_gzip,
    }
