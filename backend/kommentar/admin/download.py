"""The "Download backup" link: the whole database as ``kommentar export`` writes it, gzipped,
streamed to the admin's browser as a file, and written in the audit log."""

from __future__ import annotations

from flask import Response, current_app, stream_with_context
from werkzeug.exceptions import Forbidden

from .. import moderation
from ..backup.export import Export, gzipped
from ..db import database
from ..models import utcnow
from . import bp, cross_site, session


@bp.get("/backup")
def backup():
    """Stream the export as an attachment. Only from the admin pages themselves: a link on
    another site must not start the server on a dump of everything."""
    if cross_site():
        raise Forbidden("Download the backup from the admin pages themselves.")
    with database.atomic():
        moderation.record(session.load(), "backup_download", "backup")
    name = f"kommentar-{utcnow():%Y-%m-%d-%H%M%S}.jsonl.gz"
    lines = Export(current_app.config["ORIGINS"]).lines()
    return Response(stream_with_context(gzipped(lines)), mimetype="application/gzip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
