"""What the import tests share that is not a fixture: the sites their files come from."""

from __future__ import annotations

from support import SITE

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
