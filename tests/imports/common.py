"""What the import tests share that is not a fixture: the sites their files come from."""

from __future__ import annotations

from support import SITE

from kommentar.models import Comment

BLOG = "https://blog.example"  # the site most export files here come from
ORIGINS = f"{SITE},{BLOG},https://xn--strae-oqa.de"


def flatten(document: dict) -> list[dict]:
    """Every comment of a thread document, replies after their parents, depth first."""
    out = []

    def walk(comments, depth):
        for comment in comments:
            out.append({**comment, "depth": depth})
            walk(comment.get("replies", []), depth + 1)

    walk(document["comments"], 0)
    return out


def stored_text() -> str:
    """Every value in every table of the database, as one text: what a privacy check searches."""
    from kommentar.db import database

    values = []
    for table in database.get_tables():
        values += [str(value) for row in database.execute_sql(f'SELECT * FROM "{table}"')
                   for value in row]
    return "\n".join(values)


def import_again_then_newer(run, format_name: str, first, newer, *options: str) -> None:
    """What every format promises on re-runs: ``first`` imported again adds nothing, and
    ``newer`` (``first`` and one comment more) adds only that one."""
    result = run("import", format_name, first, *options)
    assert result.exit_code == 0, result.output
    imported = Comment.select().count()
    again = run("import", format_name, first, *options)
    assert again.exit_code == 0, again.output
    assert f"already imported before: {imported} comments" in again.output
    later = run("import", format_name, newer, *options)
    assert later.exit_code == 0, later.output
    assert "imported 1 comments" in later.output
    assert Comment.select().count() == imported + 1
