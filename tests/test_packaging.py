"""An installed wheel serves the widget too, not only a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_embed_js_where_the_server_looks_for_it(tmp_path):
    from kommentar import static

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("kommentar-*.whl")
    packaged = static.PACKAGED.relative_to(static.PACKAGED.parents[2]).as_posix()
    assert packaged == "kommentar/static/embed.js"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(packaged) == (ROOT / "embed.js").read_bytes()
        assert "kommentar/api/openapi.json" in archive.namelist()
