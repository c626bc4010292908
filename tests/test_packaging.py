"""An installed wheel serves the widget too, not only a checkout: embed.js and its chunks."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_the_widget_where_the_server_looks_for_it(tmp_path):
    from kommentar import static

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("kommentar-*.whl")
    packaged = static.PACKAGED.relative_to(static.PACKAGED.parents[1]).as_posix()
    assert packaged == "kommentar/static"
    chunks = sorted(path.name for path in (ROOT / static.CHUNKS).glob("*.js"))
    assert {"account.js", "da.js"} <= set(chunks)
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(f"{packaged}/{static.SCRIPT}") == (ROOT / "embed.js").read_bytes()
        for chunk in chunks:
            assert (archive.read(f"{packaged}/{static.CHUNKS}/{chunk}")
                    == (ROOT / static.CHUNKS / chunk).read_bytes()), chunk
        shipped = [name for name in archive.namelist()
                   if name.startswith(f"{packaged}/{static.CHUNKS}/")]
        assert sorted(name.rsplit("/", 1)[1] for name in shipped) == chunks
        assert "kommentar/api/openapi.json" in archive.namelist()
