"""The domain layer runs without Flask: a script with a database and the settings posts,
votes, moderates and deletes an account, and no app is ever built or pushed."""

from __future__ import annotations

import json
import subprocess
import sys

from support import SITE

SCRIPT = f"""
import json, pathlib, sys

import flask

from kommentar import accounts, comments, config, db, migrations, moderation, privacy
from kommentar.defences import Submission, form_token
from kommentar.models import Comment, Thread

settings = config.load(sys.argv[1], {{"secret_key": "script-secret-key", "origins": "{SITE}",
                                      "database_url": sys.argv[2], "spam_min_seconds": 60}})
db.database.initialize(db.open_database(settings["DATABASE_URL"]))
migrations.migrate()
policy = comments.Policy.from_config(settings)
signer = policy.defences.signer

writer = accounts.register("writer", "correct horse battery", hasher=accounts.hasher(settings))
reader = comments.Author(user=None, ip_hash=signer.hash_ip("192.0.2.7"))
# A form posted the moment it opened: the signed form timestamp gives it away.
hasty = comments.post(reader, policy, url="{SITE}/post", text="Quick!", name="Bot",
                      submission=Submission(form_token=form_token(signer)))
first = comments.post(comments.Author(user=writer, ip_hash=None), policy,
                      url="{SITE}/post", text="Written by a script.", title="A page")
reply = comments.post(reader, policy, url="{SITE}/post", text="And a reply.", name="Reader",
                      parent=first.id)
votes = comments.vote(first.id, comments.anonymous_voter(comments.new_voter()), 1, policy,
                      ip_hash=reader.ip_hash)
comments.edit(first.id, "Edited by the script.", comments.Author(writer, None), policy)
moderation.act(None, "pin", [first.id])
moderation.ban(None, accounts.account_key(writer.id), None, "testing")
moderation.lock(None, first.thread_id, True)
comments.delete(reply.id, reader, policy, edit_grant=reply.id)
privacy.delete_account(writer, "correct horse battery", "anonymise")
thread = Thread.get()
outcome = {{"hasty": hasty.spam_reason.endswith(" s after the form opened"),
           "status": first.status, "votes": votes, "app": flask.has_app_context(),
           "count": thread.count, "locked": thread.locked,
           "name": Comment.get_by_id(first.id).name}}
pathlib.Path(sys.argv[3]).write_text(json.dumps(outcome))
"""


def test_posting_voting_moderating_and_account_deletion_need_no_flask_app(tmp_path, database_url):
    result = tmp_path / "result.json"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), database_url, result],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(result.read_text()) == {
        "hasty": True, "status": "published", "votes": [1, 0, 1],
        "app": False, "count": 1, "locked": True, "name": "deleted user"}
