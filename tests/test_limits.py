"""Rate limits: every write and account route answers 429 with Retry-After past its allowance,
writers are counted per account when signed in, log-in failures also per account name, and
with Redis as storage every worker shares one count."""

from __future__ import annotations

import json
import uuid

import pytest
from limits import parse
from support import SITE, Api, http_json, missing

from kommentar import create_app
from kommentar.ratelimits import allow

POST = f"{SITE}/post"
REDIS = "redis://127.0.0.1:6379"
PASSWORD = "correct horse battery"


@pytest.fixture
def limits():
    """The limits a test lowers; tests parametrise this name to choose their own."""
    return {}


@pytest.fixture
def settings(settings, limits):
    return {**settings, "ratelimit": True, **limits}


def assert_rate_limited(response):
    assert response.status_code == 429, response.json
    assert response.json["error"]["code"] == "rate_limited"
    assert response.json["error"]["message"]
    assert response.headers["Retry-After"].isdigit()
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def new_comment(api, i=0):
    return api.post("/api/comments", {"url": POST, "text": f"Comment {i}", "name": "Reader"})


# Each route: the limit lowered to 2 a minute, and a set-up that returns the i-th call.

def _posting(api):
    return lambda i: new_comment(api, i)


def _editing(api):
    comment = api.comment()
    return lambda i: api.patch(f"/api/comments/{comment['id']}", {"text": f"Edit {i}"},
                               token=comment["edit_token"])


def _deleting(api):
    made = [api.comment(f"Comment {i}") for i in range(3)]
    return lambda i: api.delete(f"/api/comments/{made[i]['id']}", token=made[i]["edit_token"])


def _voting(api):
    comment = api.comment()
    return lambda i: api.post(f"/api/comments/{comment['id']}/vote", {"value": (-1) ** i})


def _registering(api):
    return lambda i: api.post("/api/auth/register",
                              {"username": f"reader{i}", "password": PASSWORD})


def _logging_in(api):
    api.register("alice", PASSWORD)
    return lambda i: api.post("/api/auth/login", {"username": "alice", "password": PASSWORD})


def _logging_out(api):
    api.register("alice", PASSWORD)

    def call(i):
        token = api.post("/api/auth/login", {"username": "alice", "password": PASSWORD})
        return api.post("/api/auth/logout", token=token.json["token"])

    return call


@pytest.mark.parametrize("limits, calls, allowed", [
    pytest.param({"limit_post": "2/minute"}, _posting, 201, id="post"),
    pytest.param({"limit_edit": "2/minute"}, _editing, 200, id="edit"),
    pytest.param({"limit_edit": "2/minute"}, _deleting, 204, id="delete"),
    pytest.param({"limit_vote": "2/minute"}, _voting, 200, id="vote"),
    pytest.param({"limit_register": "2/minute"}, _registering, 201, id="register"),
    pytest.param({"limit_login": "2/minute"}, _logging_in, 200, id="login"),
    pytest.param({"limit_edit": "2/minute"}, _logging_out, 204, id="logout"),
])
def test_limited_route_refuses_the_call_past_its_allowance(api, calls, allowed):
    call = calls(api)
    assert [call(i).status_code for i in range(2)] == [allowed, allowed]
    assert_rate_limited(call(2))


def test_unlimited_reads_are_never_refused(api):
    api.comment()
    for _ in range(30):
        assert api.get("/api/threads", url=POST).status_code == 200


@pytest.mark.parametrize("limits", [{"limit_post": "2/minute"}])
def test_each_account_has_its_own_allowance(client):
    alice, bob, anonymous = Api(client), Api(client), Api(client)
    alice.register("alice")
    bob.register("bob")
    for writer in (alice, bob, anonymous):
        assert [new_comment(writer, i).status_code for i in range(2)] == [201, 201]
    assert_rate_limited(new_comment(alice))
    assert_rate_limited(new_comment(anonymous))


@pytest.mark.parametrize("limits", [{"limit_post": "5/minute"}])
@pytest.mark.parametrize("authorization, code", [
    ("voided", "session_expired"),
    ("forged", "unauthorized"),
    ("Basic x", "unauthorized"),
])
def test_bad_credentials_stay_401_when_limits_are_on(api, authorization, code):
    """Counting a request by address must not turn a bad token into an anonymous writer."""
    token = api.post("/api/auth/register",
                     {"username": "alice", "password": PASSWORD}).json["token"]
    if authorization == "voided":
        api.post("/api/auth/logout", token=token)
        header = f"Bearer {token}"
    elif authorization == "forged":
        header = f"Bearer {token[:-6]}AAAAAA"
    else:
        header = authorization
    response = api.client.post("/api/comments",
                               json={"url": POST, "text": "Who am I?", "name": "Reader"},
                               headers={"Origin": SITE, "Authorization": header})
    assert response.status_code == 401 and response.json["error"]["code"] == code
    assert api.thread()["thread"]["count"] == 0


# --- log-in failures per account name ---------------------------------------------------------

ACCOUNT_LIMITS = {"limit_login": "100/minute", "limit_login_account": "2/minute"}


def log_in(api, username, password=PASSWORD):
    return api.post("/api/auth/login", {"username": username, "password": password})


@pytest.mark.parametrize("limits", [ACCOUNT_LIMITS])
def test_failed_logins_for_one_name_lock_that_name(api):
    api.register("alice")
    assert [log_in(api, "alice", "wrong guess").status_code for _ in range(2)] == [401, 401]
    assert_rate_limited(log_in(api, "alice", "another guess"))
    assert_rate_limited(log_in(api, "ALICE", "case does not help"))
    assert_rate_limited(log_in(api, "alice"))  # even the right password waits out the window


@pytest.mark.parametrize("limits", [ACCOUNT_LIMITS])
def test_successful_logins_do_not_use_up_the_name_allowance(api):
    api.register("alice")
    assert [log_in(api, "alice").status_code for _ in range(4)] == [200] * 4
    assert [log_in(api, "alice", "wrong guess").status_code for _ in range(2)] == [401, 401]
    assert_rate_limited(log_in(api, "alice", "wrong guess"))


@pytest.mark.parametrize("limits", [ACCOUNT_LIMITS])
def test_failures_for_one_name_do_not_limit_another(api):
    api.register("alice")
    api.register("bob")
    for _ in range(2):
        log_in(api, "alice", "wrong guess")
    assert_rate_limited(log_in(api, "alice", "wrong guess"))
    assert log_in(api, "bob").status_code == 200
    assert [log_in(api, "bob", "wrong guess").status_code for _ in range(2)] == [401, 401]


# --- Redis: one count for every worker --------------------------------------------------------

@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the local Redis, deleted afterwards."""
    try:
        import redis
    except ImportError:
        missing("the redis package is not installed")
    connection = redis.Redis.from_url(REDIS, socket_connect_timeout=1, socket_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        missing(f"Redis is not reachable at {REDIS}: {error}")
    prefix = f"kommentar-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.fixture
def redis_settings(settings, redis_prefix):
    return {**settings, "ratelimit_storage": REDIS, "ratelimit_key_prefix": redis_prefix,
            "limit_post": "2/minute"}


@pytest.fixture
def redis_api():
    """Build separate apps (as separate workers would be), closing their Redis connections."""
    built = []

    def build(settings):
        app = create_app(settings)
        built.append(app)
        return Api(app.test_client())

    yield build
    for app in built:
        app.extensions["kommentar.limiter"].storage.storage.close()


def test_two_apps_on_redis_share_one_count(redis_settings, redis_prefix, redis_api):
    import redis

    first, second = redis_api(redis_settings), redis_api(redis_settings)
    assert new_comment(first, 1).status_code == 201
    assert new_comment(second, 2).status_code == 201
    assert_rate_limited(new_comment(first, 3))
    assert_rate_limited(new_comment(second, 4))

    connection = redis.Redis.from_url(REDIS)
    assert list(connection.scan_iter(match=f"*{redis_prefix}*"))  # the count really is there
    connection.close()


def test_apps_with_different_key_prefixes_count_apart(redis_settings, redis_api):
    first = redis_api(redis_settings)
    prefix = redis_settings["ratelimit_key_prefix"] + "-other"
    second = redis_api({**redis_settings, "ratelimit_key_prefix": prefix})
    assert [new_comment(first, i).status_code for i in range(2)] == [201, 201]
    assert new_comment(second).status_code == 201


def test_served_workers_share_limits_through_redis(start_server, redis_prefix):
    server = start_server(workers=2, ratelimit_storage=REDIS, limit_post="3/minute",
                          ratelimit_key_prefix=redis_prefix)
    statuses, last = [], None
    for i in range(5):
        body = json.dumps({"url": POST, "text": f"Over HTTP {i}", "name": "Ada"}).encode()
        status, headers, last = http_json("POST", f"{server.url}/api/comments", body,
                                          {"Content-Type": "application/json", "Origin": SITE})
        statuses.append(status)
    assert statuses == [201, 201, 201, 429, 429]
    assert last["error"]["code"] == "rate_limited"
    assert int(headers["Retry-After"]) >= 1


def test_limits_off_leave_every_view_unwrapped(settings, app):
    """With ``ratelimit = false`` a request never passes through the limiter's wrapper
    (which costs a write a twentieth of its time even when the limiter is disabled)."""
    unlimited = create_app({**settings, "ratelimit": False})
    assert hasattr(app.view_functions["comments.vote"], "__wrapped__")  # on: wrapped
    assert not [name for name, view in unlimited.view_functions.items()
                if hasattr(view, "__wrapped__")]


# Quiet limits: a use past the allowance is refused to the caller, who then does less (sends
# no mail) without telling the asker.

@pytest.mark.parametrize("limits", [{"limit_mail_address": "2/hour;3/day"}])
def test_a_quiet_limit_allows_its_rate_per_key_and_counts_nothing_it_refuses(app):
    with app.app_context():
        assert [allow("limit_mail_address", "a@example.org") for _ in range(3)] == \
            [True, True, False]
        assert allow("limit_mail_address", "b@example.org")  # another key, its own count
        # The refused third use did not count against the day: after the hour the day's
        # third use is still free (moving window: its counts are kept per key and rate).
        limiter = app.extensions["kommentar.limiter"].limiter
        assert limiter.get_window_stats(parse("3/day"), "kommentar", "limit_mail_address",
                                        "a@example.org").remaining == 1


@pytest.mark.parametrize("limits", [{"limit_mail_client": "1/hour", "ratelimit": False}])
def test_quiet_limits_are_off_with_rate_limiting(app):
    with app.app_context():
        assert all(allow("limit_mail_client", "client") for _ in range(3))
