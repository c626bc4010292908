"""The OpenAPI document served at ``/api/openapi.json`` stays true: it names every route the
app serves, it is well formed, and every answer the server gives below (successes and the
main failures) has a status, headers and body the document promises for that operation.

The check runs both ways where it can: a request the server accepts must fit the
documented parameters and request body, and a bad request the server refuses must be
refused by the document too, unless the table says the rule cannot be written as a schema.
"""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from support import SITE, Api

DOCUMENT = json.loads(
    resources.files("kommentar.api").joinpath("openapi.json").read_text("utf-8"))
BASE = "urn:kommentar:openapi"  # the document's URI for resolving "#/components/..." refs
REGISTRY = Registry().with_resource(BASE, DRAFT202012.create_resource(DOCUMENT))

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PATH_PARAMETERS = {"comment_id": "id"}  # Flask's name for a path variable: the document's
PAGE = f"{SITE}/post"
FOREIGN = "https://elsewhere.example"
MAX_ID = 2**53 - 1
MISSING = object()  # in a table of bad bodies: leave this field out


# --- reading the document -----------------------------------------------------------------

def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def lookup(pointer: str):
    """The part of the document a JSON pointer (``/components/schemas/Error``) names."""
    node = DOCUMENT
    for segment in pointer.split("/")[1:]:
        segment = _unescape(segment)
        node = node[int(segment)] if isinstance(node, list) else node[segment]
    return node


def resolve(node: dict, pointer: str) -> tuple[dict, str]:
    """Follow an OpenAPI reference object to what it names: (object, its pointer)."""
    while "$ref" in node:
        target = node["$ref"]
        assert target.startswith("#/"), f"{pointer}: only local references are used: {target}"
        pointer = target[1:]
        node = lookup(pointer)
    return node, pointer


def schema_errors(pointer: str, instance) -> list[str]:
    """Why ``instance`` does not fit the schema at ``pointer`` (empty when it does)."""
    validator = Draft202012Validator({"$ref": f"{BASE}#{pointer}"}, registry=REGISTRY)
    return [f"at {error.json_path}: {error.message}"
            for error in sorted(validator.iter_errors(instance), key=lambda e: e.json_path)]


def template_of(path: str) -> str:
    """The document's path template a concrete path falls under."""
    for template in DOCUMENT["paths"]:
        if re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)), path):
            return template
    raise AssertionError(f"{path} falls under no path of the document")


def operation(method: str, template: str) -> tuple[dict, str]:
    """The document's operation for a method and path template, with its pointer."""
    item = DOCUMENT["paths"].get(template)
    assert item is not None, f"{template} is not in the document"
    assert method.lower() in item, f"{method.upper()} {template} is not in the document"
    return item[method.lower()], f"/paths/{_escape(template)}/{method.lower()}"


def parameters(method: str, template: str) -> list[tuple[dict, str]]:
    """Every parameter of an operation (its path item's too), resolved, with pointers."""
    _, pointer = operation(method, template)
    found = []
    for owner in (pointer.rsplit("/", 1)[0], pointer):
        for index, parameter in enumerate(lookup(owner).get("parameters", [])):
            found.append(resolve(parameter, f"{owner}/parameters/{index}"))
    return found


def query_problems(method: str, template: str, args) -> list[str]:
    """Why a query string (a MultiDict) does not fit the documented query parameters."""
    problems = []
    for parameter, pointer in parameters(method, template):
        if parameter["in"] != "query":
            continue
        name, values = parameter["name"], args.getlist(parameter["name"])
        schema, _ = resolve(parameter["schema"], f"{pointer}/schema")
        if not values:
            if parameter.get("required"):
                problems.append(f"query parameter {name!r} is required")
            continue
        if schema.get("type") == "array":
            value = values
        elif len(values) > 1:
            problems.append(f"query parameter {name!r} is given {len(values)} times")
            continue
        elif schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", values[0]):
            value = int(values[0])
        else:
            value = values[0]
        problems += [f"query parameter {name!r} {error}"
                     for error in schema_errors(f"{pointer}/schema", value)]
    return problems


def body_problems(method: str, template: str, body) -> list[str]:
    """Why a JSON request body does not fit the documented request body."""
    op, pointer = operation(method, template)
    assert "requestBody" in op, f"{method.upper()} {template} documents no request body"
    request_body, at = resolve(op["requestBody"], f"{pointer}/requestBody")
    return schema_errors(f"{at}/content/application~1json/schema", body)


def header_problems(documented: dict, at: str, response) -> list[str]:
    """Why a response's headers do not fit the documented ones."""
    problems = []
    for name, header in documented.get("headers", {}).items():
        header, pointer = resolve(header, f"{at}/headers/{_escape(name)}")
        value = response.headers.get(name)
        if value is None:
            if header.get("required"):
                problems.append(f"header {name} is missing")
            continue
        problems += [f"header {name}: {error}"
                     for error in schema_errors(f"{pointer}/schema", value)]
    return problems


def conforms(method: str, template: str, status: int, response) -> None:
    """Assert the document lists ``status`` for the operation and the response fits it."""
    where = f"{method.upper()} {template} answered {response.status_code}"
    op, pointer = operation(method, template)
    documented = op["responses"].get(str(status))
    assert documented is not None, \
        f"{where}: {status} is not documented (only {', '.join(sorted(op['responses']))})"
    documented, at = resolve(documented, f"{pointer}/responses/{status}")
    problems = header_problems(documented, at, response)
    content = documented.get("content")
    if not content:
        if response.data:
            problems.append(f"a body where none is documented: {response.data[:200]!r}")
    elif response.mimetype not in content:
        problems.append(f"content type {response.mimetype} is not one of {sorted(content)}")
    elif response.mimetype == "application/json":
        media = f"{at}/content/{_escape(response.mimetype)}/schema"
        problems += schema_errors(media, response.get_json())
    assert not problems, (f"{where}, which the document does not describe:\n  "
                          + "\n  ".join(problems)
                          + f"\nbody: {response.get_data(as_text=True)[:1000]}")


def check(response, status: int):
    """Assert the answer to a test request has ``status`` and is as documented; return its
    JSON. A request that succeeded must also fit the documented query and body."""
    request = response.request
    method, template = request.method.lower(), template_of(request.path)
    text = response.get_data()[:1000].decode(errors="replace")  # gzip bytes too
    assert response.status_code != 500, f"{request.method} {request.full_path} crashed: {text}"
    assert response.status_code == status, \
        f"{request.method} {request.full_path}: {response.status_code}, not {status}: {text}"
    conforms(method, template, status, response)
    if status < 300:
        problems = query_problems(method, template, request.args)
        stream = request.environ["wsgi.input"]  # the test client's body, already read once
        stream.seek(0)
        sent = stream.read()
        reads_body = "requestBody" in operation(method, template)[0]  # else it is ignored
        if sent and request.mimetype == "application/json" and reads_body:
            problems += body_problems(method, template, json.loads(sent))
        assert not problems, \
            f"{request.method} {template} succeeded with a request the document refuses:\n  " \
            + "\n  ".join(problems)
    return response.get_json(silent=True)


def error_code(response, status: int) -> str:
    """Check a documented error answer and return its code."""
    return check(response, status)["error"]["code"]


def with_changes(body: dict, changes: dict) -> dict:
    """A copy of a request body with some fields changed or (``MISSING``) left out."""
    changed = {**body, **changes}
    return {name: value for name, value in changed.items() if value is not MISSING}


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def site_api(settings):
    """Build an Api on an app whose settings differ from the defaults (rate limits on, say)."""
    from kommentar import create_app
    from kommentar.db import disconnect

    def build(**changes) -> Api:
        return Api(create_app({**settings, **changes}).test_client())

    yield build
    disconnect()


def ended_session(api: Api) -> str:
    """A session token of an account that has since logged out."""
    api.register("leaver")
    token, api.token = api.token, None
    assert api.post("/api/auth/logout", token=token).status_code == 204
    return token


# --- the document itself ---------------------------------------------------------------------

def test_document_has_the_promised_header():
    assert DOCUMENT["openapi"] == "3.1.0"
    assert DOCUMENT["info"]["title"] == "Kommentar"
    assert DOCUMENT["info"]["version"] == "0.1.0"
    assert DOCUMENT["servers"] == [{"url": "/"}]
    bearer = DOCUMENT["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    for prefix in ("`s.`", "`v.`", "`e.`", "Authorization: Bearer"):
        assert prefix in DOCUMENT["info"]["description"]


def test_served_document_is_this_file(api):
    response = api.get("/api/openapi.json")
    assert check(response, 200) == DOCUMENT


def test_every_route_is_documented_and_every_documented_route_is_served(app):
    served = set()
    for rule in app.url_map.iter_rules():
        # HTML pages (moderators', mail links', sign-in's) are not the API
        if rule.rule.startswith(("/admin", "/mail/", "/auth/")):
            continue
        template = re.sub(r"<(?:[^:<>]+:)?(\w+)>",
                          lambda match: "{" + PATH_PARAMETERS.get(match[1], match[1]) + "}",
                          rule.rule)
        served |= {(method.lower(), template) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, template) for template, item in DOCUMENT["paths"].items()
                  for method in item if method in METHODS}
    assert sorted(served - documented) == [], "routes missing from openapi.json"
    assert sorted(documented - served) == [], "openapi.json documents routes nobody serves"


def _references(node, pointer=""):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield pointer, node["$ref"]
        for key, value in node.items():
            yield from _references(value, f"{pointer}/{_escape(key)}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, f"{pointer}/{index}")


def test_every_reference_resolves():
    references = list(_references(DOCUMENT))
    assert references
    for pointer, target in references:
        assert target.startswith("#/"), f"{pointer}: {target} is not a local reference"
        try:
            lookup(target[1:])
        except (KeyError, IndexError, ValueError):
            pytest.fail(f"{pointer}: {target} names nothing in the document")


def _operations():
    for template, item in DOCUMENT["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, template, item[method]


def test_operation_ids_are_unique_and_every_operation_has_responses():
    ids = [op.get("operationId") for _, _, op in _operations()]
    assert None not in ids, "an operation has no operationId"
    assert len(ids) == len(set(ids)), f"operationIds repeat: {sorted(ids)}"
    for method, template, op in _operations():
        assert op.get("responses"), f"{method.upper()} {template} documents no responses"
        assert any(status.startswith("2") or status == "304" for status in op["responses"]), \
            f"{method.upper()} {template} documents no success"


def test_path_parameters_match_their_templates():
    for method, template, _ in _operations():
        named = set(re.findall(r"\{(\w+)\}", template))
        declared = {parameter["name"] for parameter, _ in parameters(method, template)
                    if parameter["in"] == "path"}
        assert named == declared, f"{method.upper()} {template}: path parameters {declared}"
        for parameter, pointer in parameters(method, template):
            if parameter["in"] == "path":
                assert parameter.get("required") is True, f"{pointer}: path parameters are required"


def _schemas(node, pointer=""):
    """Every JSON Schema in the document: component schemas, and each ``schema`` field."""
    if isinstance(node, dict):
        for key, value in node.items():
            at = f"{pointer}/{_escape(key)}"
            if key == "schema" or pointer == "/components/schemas":
                yield at, value
            else:
                yield from _schemas(value, at)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{pointer}/{index}")


def test_every_schema_is_valid_json_schema_2020_12():
    schemas = list(_schemas(DOCUMENT))
    assert len(schemas) > 20
    for pointer, schema in schemas:
        errors = list(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema))
        assert not errors, f"{pointer}: {errors[0].message}"
        assert "nullable" not in json.dumps(schema), f"{pointer}: 3.0's nullable is not 3.1"


# The fields each kind of OpenAPI 3.1 object may have, and the ones it must (the meta-schema
# is not available offline, so this is its structural core).
FIELDS = {
    "path item": ({"summary", "description", "servers", "parameters", *METHODS}, set()),
    "operation": ({"tags", "summary", "description", "externalDocs", "operationId",
                   "parameters", "requestBody", "responses", "callbacks", "deprecated",
                   "security", "servers"}, {"responses"}),
    "parameter": ({"name", "in", "description", "required", "deprecated", "allowEmptyValue",
                   "style", "explode", "allowReserved", "schema", "example", "examples",
                   "content"}, {"name", "in"}),
    "request body": ({"description", "content", "required"}, {"content"}),
    "media type": ({"schema", "example", "examples", "encoding"}, set()),
    "response": ({"description", "headers", "content", "links"}, {"description"}),
    "header": ({"description", "required", "deprecated", "allowEmptyValue", "style",
                "explode", "allowReserved", "schema", "example", "examples", "content"},
               set()),
    "reference": ({"$ref", "summary", "description"}, {"$ref"}),
}


def _fields(kind: str, node: dict, pointer: str) -> None:
    if "$ref" in node:
        kind = "reference"
    allowed, required = FIELDS[kind]
    extra = {key for key in node if key not in allowed and not key.startswith("x-")}
    assert not extra, f"{pointer}: a {kind} has no fields {sorted(extra)}"
    assert required <= set(node), f"{pointer}: a {kind} needs {sorted(required - set(node))}"


def test_document_objects_have_only_openapi_fields():
    assert {"openapi", "info", "paths"} <= set(DOCUMENT)
    components = DOCUMENT["components"]
    for name, parameter in components["parameters"].items():
        _fields("parameter", parameter, f"/components/parameters/{name}")
    for name, header in components["headers"].items():
        _fields("header", header, f"/components/headers/{name}")
    for name, response in components["responses"].items():
        _fields("response", response, f"/components/responses/{name}")
    for template, item in DOCUMENT["paths"].items():
        at = f"/paths/{_escape(template)}"
        _fields("path item", item, at)
        for index, parameter in enumerate(item.get("parameters", [])):
            _fields("parameter", parameter, f"{at}/parameters/{index}")
    for method, template, op in _operations():
        at = f"/paths/{_escape(template)}/{method}"
        _fields("operation", op, at)
        for index, parameter in enumerate(op.get("parameters", [])):
            _fields("parameter", parameter, f"{at}/parameters/{index}")
        if "requestBody" in op:
            _fields("request body", op["requestBody"], f"{at}/requestBody")
        for status, response in op["responses"].items():
            assert re.fullmatch(r"[1-5](?:[0-9]{2}|XX)|default", status), f"{at}: {status}"
            _fields("response", response, f"{at}/responses/{status}")
            response, pointer = resolve(response, f"{at}/responses/{status}")
            for name, header in response.get("headers", {}).items():
                _fields("header", header, f"{pointer}/headers/{name}")
            for media, content in response.get("content", {}).items():
                _fields("media type", content, f"{pointer}/content/{_escape(media)}")


def test_every_api_error_is_documented_as_the_error_shape():
    error = {"$ref": "#/components/schemas/Error"}
    for method, template, op in _operations():
        for status, response in op["responses"].items():
            response, pointer = resolve(response, f"/paths/{template}/{method}/{status}")
            if int(status) >= 400:
                assert response["content"] == {"application/json": {"schema": error}}, pointer
            if status in ("429", "503"):
                assert "Retry-After" in response["headers"], f"{pointer}: no Retry-After"
            if template.startswith("/api/"):
                assert "Vary" in response.get("headers", {}), f"{pointer}: no Vary: Origin"


# --- reading threads, counts and votes ------------------------------------------------------

def test_an_unknown_page_is_an_empty_documented_thread(api):
    page = check(api.get("/api/threads", url=f"{SITE}/nobody-here"), 200)
    assert page == {"thread": {"url": f"{SITE}/nobody-here", "title": "", "count": 0,
                               "locked": False}, "comments": [], "next": None}


def a_busy_thread(api: Api) -> None:
    """Three top-level comments on PAGE: one voted on with two levels of replies, one deleted
    but kept as a placeholder for its reply, and one by an account."""
    first = api.comment("First", title="A post")
    reply = api.comment("A reply", parent=first["id"])
    api.comment("A reply to the reply", parent=reply["id"])
    doomed = api.comment("Soon gone")
    api.comment("Under the gone one", parent=doomed["id"])
    assert api.delete(f"/api/comments/{doomed['id']}", token=doomed["edit_token"]) \
        .status_code == 204
    api.post(f"/api/comments/{first['id']}/vote", {"value": 1})
    api.register()
    api.comment("Signed *in*", url=PAGE)


def pages(api: Api, sort: str) -> list[dict]:
    """Every page of PAGE's thread, one top-level comment at a time (at most ten pages)."""
    found, after = [], None
    for _ in range(10):
        query = {"url": PAGE, "sort": sort, "limit": "1", **({"after": after} if after else {})}
        found.append(check(api.get("/api/threads", **query), 200))
        after = found[-1]["next"]
        if after is None:
            break
    return found


@pytest.mark.parametrize("sort", ["oldest", "newest", "best"])
def test_thread_pages_in_every_order_are_documented(api, sort):
    a_busy_thread(api)
    whole = check(api.get("/api/threads", url=PAGE, sort=sort), 200)
    assert len(whole["comments"]) == 3 and whole["next"] is None
    placeholder = next(comment for comment in whole["comments"] if comment["deleted"])
    assert placeholder["html"] == "" and placeholder["replies"]
    first = pages(api, sort)[0]
    assert first["comments"] == whole["comments"][:1] and first["next"]


@pytest.mark.parametrize("sort", ["oldest", "newest", "best"])
def test_following_next_walks_the_whole_thread_once(api, sort):
    a_busy_thread(api)
    whole = check(api.get("/api/threads", url=PAGE, sort=sort), 200)
    walked = pages(api, sort)
    assert [comment for page in walked for comment in page["comments"]] == whole["comments"]
    assert walked[-1]["next"] is None


BAD_THREAD_QUERIES = [
    # (query, code, whether the document's parameter schemas refuse it too)
    ({}, "invalid_url", True),
    ({"url": "not a page"}, "invalid_url", True),
    ({"url": "http://127.0.0.1:8000:99999/post"}, "invalid_url", False),  # no schema checks ports
    ([("url", PAGE), ("url", f"{PAGE}/")], "invalid_url", True),
    ({"url": PAGE, "id": ""}, "invalid_thread_id", True),
    ({"url": PAGE, "id": "x" * 201}, "invalid_thread_id", True),
    ({"url": PAGE, "sort": "popular"}, "invalid_sort", True),
    ({"url": PAGE, "limit": "0"}, "invalid_limit", True),
    ({"url": PAGE, "limit": "1001"}, "invalid_limit", True),
    ({"url": PAGE, "limit": "-1"}, "invalid_limit", True),
    ({"url": PAGE, "limit": "ten"}, "invalid_limit", True),
    ({"url": PAGE, "limit": "1.5"}, "invalid_limit", True),
    ({"url": PAGE, "limit": "²"}, "invalid_limit", True),
    ({"url": PAGE, "after": "x" * 201}, "invalid_cursor", True),
    ({"url": PAGE, "after": "somewhere"}, "invalid_cursor", False),
    ({"url": PAGE, "sort": "oldest", "after": "newest:1"}, "invalid_cursor", False),
    ({"url": PAGE, "after": "oldest:99999999999999999999999"}, "invalid_cursor", False),
    ({"url": PAGE, "after": "oldest:9007199254740992"}, "invalid_cursor", False),
    ({"url": PAGE, "sort": "best", "after": "best:nan/1"}, "invalid_cursor", False),
    ({"url": PAGE, "sort": "", }, "invalid_sort", True),
]


@pytest.mark.parametrize("query, code, refused", BAD_THREAD_QUERIES)
def test_bad_thread_query_is_a_documented_400(api, query, code, refused):
    api.comment()  # a thread with a comment, so cursors are read against real rows
    response = api.client.get("/api/threads", query_string=query, headers=api.headers())
    assert error_code(response, 400) == code
    assert bool(query_problems("get", "/api/threads", response.request.args)) == refused


def test_latest_comments_are_documented(api):
    a_busy_thread(api)
    found = check(api.get("/api/threads/latest", url=PAGE), 200)
    assert len(found["comments"]) == 5 and found["thread"]["count"] == 5
    assert [comment["parent"] is None for comment in found["comments"]] == \
        [True, False, False, False, True]
    empty = check(api.get("/api/threads/latest", url=f"{SITE}/nobody-here", id="x"), 200)
    assert empty["comments"] == [] and empty["thread"]["count"] == 0


@pytest.mark.parametrize("query, code, refused", [
    ({}, "invalid_url", True),
    ({"url": "not a page"}, "invalid_url", True),
    ([("url", PAGE), ("url", f"{PAGE}/")], "invalid_url", True),
    ({"url": PAGE, "id": ""}, "invalid_thread_id", True),
    ({"url": PAGE, "id": "x" * 201}, "invalid_thread_id", True),
])
def test_a_bad_latest_comments_query_is_a_documented_400(api, query, code, refused):
    response = api.client.get("/api/threads/latest", query_string=query, headers=api.headers())
    assert error_code(response, 400) == code
    assert bool(query_problems("get", "/api/threads/latest", response.request.args)) == refused


@pytest.mark.parametrize("path, query", [
    ("/api/threads", [("url", PAGE)]),
    ("/api/threads/latest", [("url", PAGE)]),
    ("/api/counts", [("url", f"{SITE}/{n}") for n in range(60)] + [("url", PAGE)]),
])
def test_revalidation_of_what_readers_poll_is_documented(api, path, query):
    """Each is polled: its ETag and 304 are in the document, plain and gzipped (a thread of
    more than a kilobyte, and counts of sixty pages, are gzipped)."""
    a_busy_thread(api)
    for coding in ("identity", "gzip"):
        first = api.client.get(path, query_string=query,
                               headers=api.headers(**{"Accept-Encoding": coding}))
        if coding == "identity":  # the checker reads the body as JSON
            check(first, 200)
        assert first.headers.get("Content-Encoding", "identity") == coding
        check(api.client.get(path, query_string=query, headers=api.headers(**{
            "Accept-Encoding": coding, "If-None-Match": first.headers["ETag"]})), 304)


def test_counts_are_documented_and_keyed_as_asked(api):
    api.comment(url=f"{SITE}/a")
    asked = [f"{SITE}/a", f"{SITE}/a/#top", f"{SITE}/b"]
    response = api.client.get("/api/counts", query_string=[("url", url) for url in asked],
                              headers=api.headers())
    assert check(response, 200) == {"counts": {asked[0]: 1, asked[1]: 1, asked[2]: 0}}


@pytest.mark.parametrize("urls, refused", [
    ([], True),
    ([f"{SITE}/{n}" for n in range(101)], True),
    (["not a page"], True),
    (["https://a..b/post"], False),  # an empty label: the host rules are the server's alone
])
def test_bad_counts_query_is_a_documented_400(api, urls, refused):
    response = api.client.get("/api/counts", query_string=[("url", url) for url in urls])
    assert error_code(response, 400) == "invalid_url"
    assert bool(query_problems("get", "/api/counts", response.request.args)) == refused


def test_own_votes_are_documented_for_every_kind_of_caller(api):
    comment = api.comment()
    assert check(api.get("/api/mine", url=PAGE), 200) == {"votes": {}, "pending": [],
                                                          "reports": []}
    voter = check(api.post(f"/api/comments/{comment['id']}/vote", {"value": 1}), 200)
    check(api.post(f"/api/comments/{comment['id']}/report", {"reason": "spam"},
                   token=voter["voter_token"]), 201)
    assert check(api.get("/api/mine", url=PAGE, token=voter["voter_token"]), 200) \
        == {"votes": {str(comment["id"]): 1}, "pending": [], "reports": [comment["id"]]}
    api.register()
    check(api.post(f"/api/comments/{comment['id']}/vote", {"value": -1}), 200)
    assert check(api.get("/api/mine", url=PAGE), 200) \
        == {"votes": {str(comment["id"]): -1}, "pending": [], "reports": []}


@pytest.mark.parametrize("authorization", ["Basic YWxpY2U6c2VjcmV0", "Bearer s.forged",
                                           "Bearer v.forged"])
def test_bad_credentials_for_own_votes_are_a_documented_401(api, authorization):
    response = api.client.get("/api/mine", query_string={"url": PAGE},
                              headers={"Authorization": authorization})
    assert error_code(response, 401) == "unauthorized"


@pytest.mark.parametrize("method, path", [
    ("get", "/api/threads"), ("get", "/api/threads/latest"), ("get", "/api/counts"),
    ("get", "/api/mine"),
    ("post", "/api/comments"), ("get", "/feeds/thread.atom"),
])
def test_a_page_on_another_site_is_a_documented_403(api, method, path):
    url = f"{FOREIGN}/post"
    if method == "get":
        response = api.get(path, url=url)
    else:
        response = api.post(path, {"url": url, "text": "Hi", "name": "Reader"})
    assert error_code(response, 403) == "origin_not_allowed"


def test_feeds_and_their_revalidation_are_documented(api):
    api.comment("Hi", url=PAGE)
    api.comment("Hi again", url=PAGE)  # a feed of more than a kilobyte, which goes gzipped
    for path, query in (("/feeds/thread.atom", {"url": PAGE}),
                        ("/feeds/recent.atom", {"site": SITE})):
        for coding in ("identity", "gzip"):
            first = api.client.get(path, query_string=query,
                                   headers={"Accept-Encoding": coding})
            check(first, 200)
            check(api.client.get(path, query_string=query, headers={
                "Accept-Encoding": coding, "If-None-Match": first.headers["ETag"]}), 304)


@pytest.mark.parametrize(("query", "status", "code"), [
    ({}, 400, "invalid_site"),
    ({"site": "blog.example"}, 400, "invalid_site"),
    ({"site": [SITE, SITE]}, 400, "invalid_site"),
    ({"site": FOREIGN}, 404, "unknown_site"),
])
def test_a_bad_site_feed_query_is_documented(api, query, status, code):
    assert error_code(api.client.get("/feeds/recent.atom", query_string=query), status) == code


# --- posting, editing, deleting and voting --------------------------------------------------

def test_comments_and_replies_are_documented(api):
    anonymous = check(api.post("/api/comments", {"url": PAGE, "text": "Hi", "name": "Ada",
                                                 "title": "A post", "id": None}), 201)
    assert anonymous["edit_token"].startswith("e.") and anonymous["author"]["id"] is None
    reply = check(api.post("/api/comments", {"url": PAGE, "text": "Re", "name": "Bo",
                                             "parent": anonymous["id"]}), 201)
    assert reply["parent"] == anonymous["id"]
    user = api.register()
    signed = check(api.post("/api/comments", {"url": PAGE, "text": "Mine", "id": "post-1"}), 201)
    assert "edit_token" not in signed and signed["author"] == {"name": "alice", "id": user["id"]}


VALID_COMMENT = {"url": PAGE, "text": "A comment.", "name": "Reader"}
BAD_COMMENTS = [
    # (changes to a valid body, code, whether the document's schema refuses it too)
    ({"url": MISSING}, "invalid_url", True),
    ({"url": 5}, "invalid_url", True),
    ({"url": "ftp://127.0.0.1:8000/post"}, "invalid_url", True),
    ({"url": "http://127.0.0.1:8000/" + "é" * 1000}, "invalid_url", False),  # 6000 encoded
    ({"id": 5}, "invalid_thread_id", True),
    ({"id": ""}, "invalid_thread_id", True),
    ({"text": MISSING}, "text_empty", True),
    ({"text": 5}, "text_empty", True),
    ({"text": " \n "}, "text_empty", True),
    ({"text": "x" * 10_001}, "text_too_long", False),  # per site, after trimming: in words only
    ({"text": "a\x00b"}, "invalid_input", True),
    ({"name": MISSING}, "name_required", False),
    ({"name": "   "}, "name_required", True),
    ({"name": "x" * 61}, "invalid_name", True),
    ({"name": "bell\x07"}, "invalid_name", False),
    ({"parent": "1"}, "invalid_parent", True),
    ({"parent": True}, "invalid_parent", True),
    ({"parent": 0}, "invalid_parent", True),
    ({"parent": MAX_ID + 1}, "invalid_parent", True),
    ({"parent": 4242}, "invalid_parent", False),
    ({"title": 5}, "invalid_input", True),
]


@pytest.mark.parametrize("changes, code, refused", BAD_COMMENTS)
def test_bad_comment_is_a_documented_400(api, changes, code, refused):
    body = with_changes(VALID_COMMENT, changes)
    assert error_code(api.post("/api/comments", body), 400) == code
    assert bool(body_problems("post", "/api/comments", body)) == refused


def test_reply_nested_too_deep_is_a_documented_400(site_api):
    api = site_api(max_depth=1)
    top = api.comment()
    reply = api.comment(parent=top["id"])
    response = api.post("/api/comments", {**VALID_COMMENT, "parent": reply["id"]})
    assert error_code(response, 400) == "too_deep"


def test_comment_on_a_locked_thread_is_a_documented_403(api):
    from kommentar.models import Thread

    api.comment()
    Thread.update(locked=True).execute()
    assert check(api.get("/api/threads", url=PAGE), 200)["thread"]["locked"] is True
    assert error_code(api.post("/api/comments", VALID_COMMENT), 403) == "thread_locked"


def test_anonymous_comment_where_accounts_are_required_is_a_documented_401(site_api):
    api = site_api(anonymous=False)
    assert check(api.get("/api/config"), 200)["anonymous"] is False
    assert error_code(api.post("/api/comments", VALID_COMMENT), 401) == "login_required"


def test_edits_are_documented(api):
    anonymous = api.comment()
    edited = check(api.patch(f"/api/comments/{anonymous['id']}", {"text": "Better."},
                             token=anonymous["edit_token"]), 200)
    assert edited["edited"] is not None and "edit_token" not in edited
    api.register()
    own = api.comment()
    assert check(api.patch(f"/api/comments/{own['id']}", {"text": "*Mine*"}), 200)["html"] \
        == "<p><em>Mine</em></p>"


@pytest.mark.parametrize("body, code, refused", [
    ({}, "text_empty", True),
    ({"text": ""}, "text_empty", True),
    ({"text": ["list"]}, "text_empty", True),
    ({"text": "x" * 10_001}, "text_too_long", False),  # per site, after trimming: in words only
])
def test_bad_edit_is_a_documented_400(api, body, code, refused):
    comment = api.comment()
    response = api.patch(f"/api/comments/{comment['id']}", body, token=comment["edit_token"])
    assert error_code(response, 400) == code
    assert bool(body_problems("patch", "/api/comments/{id}", body)) == refused


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_changing_what_is_not_yours_or_not_there_is_documented(api, method):
    def change(path, token=None):
        if method == "patch":
            return api.patch(path, {"text": "Mine now."}, token=token)
        return api.delete(path, token=token)

    someone = api.comment()
    assert error_code(change(f"/api/comments/{someone['id']}"), 403) == "forbidden"
    assert error_code(change(f"/api/comments/{someone['id']}", token="e.forged"), 401) \
        == "unauthorized"
    assert error_code(change("/api/comments/4242"), 404) == "not_found"
    if method == "patch":  # DELETE of an id past MAX_ID is a 405 (Werkzeug matches PATCH)
        assert error_code(change(f"/api/comments/{MAX_ID + 1}"), 404) == "not_found"
    check(api.delete(f"/api/comments/{someone['id']}", token=someone["edit_token"]), 204)
    assert error_code(change(f"/api/comments/{someone['id']}", someone["edit_token"]), 404) \
        == "not_found"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_edit_token_past_its_window_is_a_documented_401(api, method, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    comment = api.comment()
    later = TimestampSigner.get_timestamp(None) + 901  # the default edit window is 900 s
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: later)
    path = f"/api/comments/{comment['id']}"
    response = api.patch(path, {"text": "Late."}, token=comment["edit_token"]) \
        if method == "patch" else api.delete(path, token=comment["edit_token"])
    assert error_code(response, 401) == "edit_expired"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_account_edits_where_the_site_forbids_them_are_a_documented_403(site_api, method):
    api = site_api(account_edit=False)
    api.register()
    comment = api.comment()
    path = f"/api/comments/{comment['id']}"
    response = api.patch(path, {"text": "No."}) if method == "patch" else api.delete(path)
    assert error_code(response, 403) == "edit_disabled"


def test_deletions_are_documented(api):
    anonymous = api.comment()
    check(api.delete(f"/api/comments/{anonymous['id']}", token=anonymous["edit_token"]), 204)
    api.register()
    own = api.comment()
    check(api.delete(f"/api/comments/{own['id']}"), 204)
    assert check(api.get("/api/threads", url=PAGE), 200)["comments"] == []


def test_votes_are_documented(api):
    comment = api.comment()
    path = f"/api/comments/{comment['id']}/vote"
    first = check(api.post(path, {"value": 1}), 200)
    assert first["mine"] == 1 and first["voter_token"].startswith("v.")
    again = check(api.post(path, {"value": -1}, token=first["voter_token"]), 200)
    assert again == {"up": 0, "down": 1, "mine": -1}
    assert check(api.post(path, {"value": 0}, token=first["voter_token"]), 200) \
        == {"up": 0, "down": 0, "mine": 0}
    api.register()
    assert check(api.post(path, {"value": 1}), 200) == {"up": 1, "down": 0, "mine": 1}


@pytest.mark.parametrize("body", [{}, {"value": 2}, {"value": "1"}, {"value": True},
                                  {"value": None}, {"value": 0.5}])
def test_bad_vote_is_a_documented_400(api, body):
    comment = api.comment()
    assert error_code(api.post(f"/api/comments/{comment['id']}/vote", body), 400) \
        == "invalid_vote"
    assert body_problems("post", "/api/comments/{id}/vote", body)


def test_a_comments_place_is_documented(api):
    top = api.comment("Top")
    reply = api.comment("Reply", parent=top["id"])
    api.comment("Later")
    answer = check(api.get(f"/api/comments/{reply['id']}/place", sort="newest", limit="1"), 200)
    first = check(api.get("/api/threads", url=PAGE, sort="newest", limit="1"), 200)
    assert [comment["id"] for comment in first["comments"]] == [top["id"] + 2]  # "Later"
    assert (answer["root"], answer["ancestors"], answer["after"]) \
        == (top["id"], [top["id"]], first["next"])
    assert check(api.get(f"/api/comments/{top['id']}/place"), 200)["after"] is None


def test_places_that_cannot_be_shown_are_documented(api):
    from kommentar.models import PENDING, Comment

    gone, held = api.comment(), api.comment()
    api.delete(f"/api/comments/{gone['id']}", token=gone["edit_token"])
    Comment.update(status=PENDING).where(Comment.id == held["id"]).execute()
    assert error_code(api.get(f"/api/comments/{gone['id']}/place"), 404) == "comment_deleted"
    assert error_code(api.get(f"/api/comments/{held['id']}/place"), 404) == "comment_held"
    assert error_code(api.get("/api/comments/4242/place"), 404) == "not_found"
    assert error_code(api.get(f"/api/comments/{MAX_ID + 1}/place"), 404) == "not_found"


@pytest.mark.parametrize("query, code, refused", [
    ({"sort": "popular"}, "invalid_sort", True),
    ({"limit": "0"}, "invalid_limit", True),
    ({"limit": "1001"}, "invalid_limit", True),
    ({"limit": "1.5"}, "invalid_limit", True),
    ([("limit", "1"), ("limit", "2")], "invalid_limit", True),
])
def test_bad_place_query_is_a_documented_400(api, query, code, refused):
    comment = api.comment()
    response = api.client.get(f"/api/comments/{comment['id']}/place", query_string=query,
                              headers=api.headers())
    assert error_code(response, 400) == code
    assert bool(query_problems("get", "/api/comments/{id}/place", response.request.args)) \
        == refused


def test_previews_are_documented(api):
    assert check(api.post("/api/preview", {"text": "*Soon*"}), 200) \
        == {"html": "<p><em>Soon</em></p>"}
    assert check(api.post("/api/preview", {"text": "x", "url": PAGE}), 200)["html"] == "<p>x</p>"
    api.register()
    check(api.post("/api/preview", {"text": "Signed in"}), 200)


@pytest.mark.parametrize("body, status, code, refused", [
    ({}, 400, "text_empty", True),
    ({"text": " \n "}, 400, "text_empty", True),
    ({"text": "x" * 10_001}, 400, "text_too_long", False),  # per site: in words only
    ({"text": "a\x00b"}, 400, "invalid_input", True),
    ({"text": "x", "url": "ftp://127.0.0.1:8000/post"}, 400, "invalid_url", True),
    ({"text": "x", "url": f"{FOREIGN}/post"}, 403, "origin_not_allowed", False),
])
def test_bad_preview_is_documented(api, body, status, code, refused):
    assert error_code(api.post("/api/preview", body), status) == code
    assert bool(body_problems("post", "/api/preview", body)) == refused


def test_previews_past_their_limit_are_a_documented_429(site_api):
    api = site_api(ratelimit=True, limit_preview="1/minute")
    check(api.post("/api/preview", {"text": "One"}), 200)
    assert error_code(api.post("/api/preview", {"text": "Two"}), 429) == "rate_limited"


def test_votes_that_cannot_count_are_documented(api):
    gone = api.comment()
    api.delete(f"/api/comments/{gone['id']}", token=gone["edit_token"])
    assert error_code(api.post(f"/api/comments/{gone['id']}/vote", {"value": 1}), 404) \
        == "not_found"
    assert error_code(api.post("/api/comments/4242/vote", {"value": 1}), 404) == "not_found"
    api.register()
    own = api.comment()
    assert error_code(api.post(f"/api/comments/{own['id']}/vote", {"value": 1}), 403) \
        == "own_comment"


def test_anonymous_vote_where_only_accounts_vote_is_a_documented_401(site_api):
    api = site_api(voting="accounts")
    comment = api.comment()
    response = api.post(f"/api/comments/{comment['id']}/vote", {"value": 1})
    assert error_code(response, 401) == "login_required"


def test_reports_are_documented(site_api):
    api = site_api(report_threshold=2)
    comment = api.comment()
    path = f"/api/comments/{comment['id']}/report"
    first = check(api.post(path, {"reason": "spam"}), 201)
    assert first["voter_token"].startswith("v.") and first["held"] is False
    again = check(api.post(path, {"reason": "other", "note": "Off the rails."},
                           token=first["voter_token"]), 200)
    assert again == {"comment": comment["id"], "held": False}
    check(api.delete(path, token=first["voter_token"]), 204)
    check(api.delete(path, token=first["voter_token"]), 204)  # nothing left: the same answer
    api.register()
    check(api.post(path, {"reason": "abuse", "note": None}), 201)
    api.client.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    second = check(Api(api.client).post(path, {"reason": "abuse"}), 201)
    assert second["held"] is True


@pytest.mark.parametrize("body, code", [
    ({}, "invalid_reason"), ({"reason": "rude"}, "invalid_reason"),
    ({"reason": ["spam"]}, "invalid_reason"), ({"reason": "spam", "note": 5}, "invalid_note"),
    ({"reason": "spam", "note": "x" * 301}, "invalid_note"),
    ({"reason": "other"}, "note_required"), ({"reason": "other", "note": ""}, "note_required"),
    ({"reason": "other", "note": " \n "}, "note_required"),
])
def test_bad_report_is_a_documented_400(api, body, code):
    comment = api.comment()
    assert error_code(api.post(f"/api/comments/{comment['id']}/report", body), 400) == code
    assert body_problems("post", "/api/comments/{id}/report", body)


def test_reports_that_cannot_count_are_documented(site_api):
    api = site_api()
    gone = api.comment()
    api.delete(f"/api/comments/{gone['id']}", token=gone["edit_token"])
    for method in ("post", "delete"):
        response = api.client.open(f"/api/comments/{gone['id']}/report", method=method.upper(),
                                   json={"reason": "spam"}, headers=api.headers())
        assert error_code(response, 404) == "not_found"
        response = api.client.open("/api/comments/4242/report", method=method.upper(),
                                   json={"reason": "spam"}, headers=api.headers())
        assert error_code(response, 404) == "not_found"
    api.register()
    own = api.comment()
    assert error_code(api.post(f"/api/comments/{own['id']}/report", {"reason": "spam"}), 403) \
        == "own_comment"
    off = site_api(report_threshold=0)
    comment = off.comment()
    assert error_code(off.post(f"/api/comments/{comment['id']}/report", {"reason": "spam"}),
                      403) == "reports_disabled"
    accounts = site_api(voting="accounts")
    comment = accounts.comment()
    assert error_code(accounts.post(f"/api/comments/{comment['id']}/report",
                                    {"reason": "spam"}), 401) == "login_required"


# --- accounts ---------------------------------------------------------------------------------

def test_an_account_life_is_documented(api):
    created = check(api.post("/api/auth/register", {"username": "Åse Ng", "password":
                                                    "correct horse", "email": "a@b.example"}),
                    201)
    assert created["token"].startswith("s.") and created["user"]["username"] == "Åse Ng"
    check(api.post("/api/auth/register", {"username": "bo", "password": "correct horse",
                                          "email": ""}), 201)
    me = check(api.get("/api/auth/me", token=created["token"]), 200)
    assert me == {"user": created["user"]}
    session = check(api.post("/api/auth/login", {"username": "åse ng",
                                                 "password": "correct horse"}), 200)
    check(api.post("/api/auth/logout", token=session["token"]), 204)
    response = api.get("/api/auth/me", token=created["token"])
    assert error_code(response, 401) == "session_expired"


def test_a_taken_username_is_a_documented_409(api):
    api.register("alice")
    response = api.post("/api/auth/register", {"username": "ALICE", "password": "another one"})
    assert error_code(response, 409) == "username_taken"


VALID_REGISTRATION = {"username": "carol", "password": "correct horse"}


@pytest.mark.parametrize("changes, code, refused", [
    ({"username": MISSING}, "invalid_username", True),
    ({"username": 5}, "invalid_username", True),
    ({"username": "c"}, "invalid_username", True),
    ({"username": "c" * 41}, "invalid_username", True),
    ({"username": "ß" * 40}, "invalid_username", False),  # case-folds to 80 characters
    ({"username": "carol/admin"}, "invalid_username", True),
    ({"password": MISSING}, "weak_password", True),
    ({"password": "short"}, "weak_password", True),
    ({"password": "x" * 1025}, "weak_password", True),
    ({"username": "carolcarol", "password": "CAROLCAROL"}, "weak_password", False),
    ({"email": "not an address"}, "invalid_email", True),
    ({"email": 5}, "invalid_email", True),
])
def test_bad_registration_is_a_documented_400(api, changes, code, refused):
    body = with_changes(VALID_REGISTRATION, changes)
    assert error_code(api.post("/api/auth/register", body), 400) == code
    assert bool(body_problems("post", "/api/auth/register", body)) == refused


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "invalid_input"),
    ({"username": "alice", "password": 12345678}, 400, "invalid_input"),
    ({"username": "alice", "password": "wrong horse"}, 401, "invalid_credentials"),
    ({"username": "nobody", "password": "correct horse battery"}, 401, "invalid_credentials"),
])
def test_failed_log_in_is_documented(api, body, status, code):
    api.register("alice")
    assert error_code(api.post("/api/auth/login", body, token=None), status) == code
    assert bool(body_problems("post", "/api/auth/login", body)) == (status == 400)


@pytest.mark.parametrize("token", [None, "v.not-a-session", "s.forged"])
def test_account_routes_without_a_session_are_a_documented_401(api, token):
    assert error_code(api.get("/api/auth/me", token=token), 401) == "unauthorized"
    assert error_code(api.post("/api/auth/logout", token=token), 401) == "unauthorized"


@pytest.mark.parametrize("body", [{"email": "alice@example.org"}, {"email": None},
                                  {"email": "", "lang": "da"}])
def test_address_changes_are_documented(api, body):
    api.register("alice")
    user = check(api.patch("/api/auth/me", body), 200)["user"]
    assert user["email"] == (body["email"] or None) and user["email_verified"] is None


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "invalid_input"),
    ({"email": "not an address"}, 400, "invalid_email"),
    ({"email": None, "lang": 5}, 400, "invalid_lang"),
])
def test_bad_address_change_is_documented(api, body, status, code):
    api.register("alice")
    assert error_code(api.patch("/api/auth/me", body), status) == code
    assert bool(body_problems("patch", "/api/auth/me", body))


@pytest.mark.parametrize("body", [{"login": "alice"}, {"login": "nobody@example.org"},
                                  {"login": " ", "lang": "da-DK"}, {"login": "x", "lang": None}])
def test_password_reset_requests_are_documented(site_api, body):
    api = site_api(smtp_host="127.0.0.1", public_url="https://comments.test",
                   mail_from="comments@comments.test")
    api.register("alice")
    assert check(api.post("/api/auth/password-reset", body, token=None), 202) is None


@pytest.mark.parametrize("body, code", [
    ({}, "invalid_login"), ({"login": ""}, "invalid_login"),
    ({"login": ["alice"]}, "invalid_login"),
    ({"login": "alice", "lang": 5}, "invalid_lang"),
    ({"login": "alice", "lang": "x" * 36}, "invalid_lang"),
])
def test_bad_password_reset_request_is_documented(api, body, code):
    assert error_code(api.post("/api/auth/password-reset", body), 400) == code
    assert bool(body_problems("post", "/api/auth/password-reset", body))


# --- what every write has in common ---------------------------------------------------------

WRITES = [("post", "/api/comments"), ("patch", "/api/comments/{id}"),
          ("delete", "/api/comments/{id}"), ("post", "/api/comments/{id}/vote"),
          ("post", "/api/comments/{id}/report"), ("delete", "/api/comments/{id}/report"),
          ("post", "/api/auth/register"), ("post", "/api/auth/login"),
          ("post", "/api/auth/logout"), ("post", "/api/auth/password-reset"),
          ("patch", "/api/auth/me")]
BODY_WRITES = [write for write in WRITES if write[0] != "delete"
               and write[1] != "/api/auth/logout"]


def send(api: Api, method: str, template: str, data, **headers):
    """A raw request to a write route (about a real comment where the route names one)."""
    comment = api.comment()
    path = template.replace("{id}", str(comment["id"]))
    return api.client.open(path, method=method.upper(), data=data,
                           headers={**api.headers(token=comment["edit_token"]), **headers})


@pytest.mark.parametrize("method, template", WRITES)
def test_write_from_a_foreign_origin_is_a_documented_403(api, method, template):
    response = send(api, method, template, b"{}", Origin=FOREIGN,
                    **{"Content-Type": "application/json"})
    assert error_code(response, 403) == "origin_not_allowed"


@pytest.mark.parametrize("method, template", BODY_WRITES)
def test_write_that_is_not_json_is_a_documented_415(api, method, template):
    response = send(api, method, template, b"text=Hi", **{
        "Content-Type": "application/x-www-form-urlencoded"})
    assert error_code(response, 415) == "unsupported_media_type"


@pytest.mark.parametrize("data", [b"{", b"[1, 2]", b'{"value": NaN}', b"\xff\xfe"],
                         ids=["truncated", "array", "nan", "not-utf8"])
@pytest.mark.parametrize("method, template", BODY_WRITES)
def test_body_that_is_not_a_json_object_is_a_documented_400(api, method, template, data):
    response = send(api, method, template, data, **{"Content-Type": "application/json"})
    assert error_code(response, 400) == "invalid_json"


@pytest.mark.parametrize("method, template", BODY_WRITES)
def test_oversized_body_is_a_documented_413(site_api, method, template):
    api = site_api(max_request_bytes=1024)
    data = json.dumps({"text": "x" * 2000}).encode()
    response = send(api, method, template, data, **{"Content-Type": "application/json"})
    assert error_code(response, 413) == "too_large"


@pytest.mark.parametrize("method, template", [
    ("post", "/api/comments"), ("patch", "/api/comments/{id}"),
    ("delete", "/api/comments/{id}"), ("post", "/api/comments/{id}/vote"),
    ("post", "/api/comments/{id}/report"), ("delete", "/api/comments/{id}/report"),
    ("post", "/api/auth/logout"), ("get", "/api/auth/me"), ("patch", "/api/auth/me"),
    ("get", "/api/mine")])
def test_a_logged_out_session_token_is_a_documented_401(api, method, template):
    token = ended_session(api)
    comment = api.comment()
    path = template.replace("{id}", str(comment["id"]))
    body = {"post": {**VALID_COMMENT, "value": 1, "reason": "spam"},
            "patch": {"text": "Edited."}}.get(method)
    response = api.client.open(path, method=method.upper(), json=body,
                               query_string={"url": PAGE}, headers=api.headers(token=token))
    assert error_code(response, 401) == "session_expired"


RATE_LIMITS = {"ratelimit": True, "limit_post": "1/minute", "limit_edit": "1/minute",
               "limit_vote": "1/minute", "limit_register": "1/minute", "limit_report": "1/minute",
               "limit_login": "1/minute"}


def _twice(api: Api, method: str, template: str):
    path = template.replace("{id}", "4242")
    body = {"post": {"username": "dora", "password": "correct horse", "value": 1,
                     "reason": "spam", **VALID_COMMENT}, "patch": {"text": "Again."}}.get(method)
    for _ in range(2):
        response = api.client.open(path, method=method.upper(), json=body,
                                   headers=api.headers())
    return response


@pytest.mark.parametrize("method, template", WRITES)
def test_too_many_writes_are_a_documented_429_that_says_when_to_retry(site_api, method,
                                                                       template):
    response = _twice(site_api(**RATE_LIMITS), method, template)
    assert error_code(response, 429) == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60  # within the one-minute window


# --- what a client reads first ----------------------------------------------------------------

@pytest.mark.parametrize("changes", [{}, {"anonymous": False, "voting": "accounts",
                                          "max_length": 500, "edit_window": 60}])
def test_site_config_is_documented(site_api, changes):
    config = check(site_api(**changes).get("/api/config"), 200)
    assert config.pop("form_token").startswith("f.")
    assert config == {"anonymous": True, "voting": "anyone", "account_edit": True,
                      "moderation": "none", "max_length": 10_000, "edit_window": 900,
                      "mail": False, "reports": True, "local_accounts": True, "providers": [],
                      **changes}


def test_site_config_with_mail_on_is_documented(site_api):
    api = site_api(smtp_host="127.0.0.1", public_url="https://comments.test",
                   mail_from="comments@comments.test")
    assert check(api.get("/api/config"), 200)["mail"] is True


def test_each_site_gets_its_own_documented_config(site_api):
    api = site_api(sites={SITE: {"anonymous": False, "max_length": 500}})
    mine = check(api.get("/api/config"), 200)  # the Origin header names the site
    assert (mine["anonymous"], mine["max_length"]) == (False, 500)
    other = check(api.client.get("/api/config", query_string={"origin": FOREIGN}), 200)
    assert (other["anonymous"], other["max_length"]) == (True, 10_000)


def test_embed_script_and_its_revalidation_are_documented(client):
    script = client.get("/embed.js")
    check(script, 200)
    check(client.get("/embed.js", headers={"If-None-Match": script.headers["ETag"]}), 304)
    gzipped = client.get("/embed.js", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    check(gzipped, 200)


# --- what holds on every path -----------------------------------------------------------------

IMPLICIT = {"head", "options"}  # Flask answers these itself: HEAD wherever GET is, OPTIONS always


@pytest.mark.parametrize("template", sorted(DOCUMENT["paths"]))
def test_a_method_a_path_does_not_have_is_a_405_whose_allow_lists_the_documented_ones(
        api, template):
    documented = {method for method in DOCUMENT["paths"][template] if method in METHODS}
    allowed = documented | IMPLICIT if "get" in documented else documented | {"options"}
    path = template.replace("{id}", "1")
    for method in sorted(set(METHODS) - allowed):
        response = api.client.open(path, method=method.upper(), data=b"x",
                                   headers={"Origin": FOREIGN, "Content-Type": "text/plain"})
        assert response.status_code == 405, f"{method.upper()} {template}"
        if method != "head":  # an answer to HEAD never has a body
            assert schema_errors("/components/schemas/Error", response.get_json()) == []
            assert response.json["error"]["code"] == "method_not_allowed"
        assert {m.lower() for m in response.headers["Allow"].split(", ")} == allowed


@pytest.mark.parametrize("method, template", [
    (method, template) for template, item in DOCUMENT["paths"].items()
    for method in item if method in METHODS and "{" not in template])
def test_a_path_and_query_over_8190_bytes_is_a_documented_414(api, method, template):
    response = api.client.open(template, method=method.upper(),
                               query_string={"url": f"{PAGE}?q=" + "%" * 2800},
                               headers=api.headers())
    assert error_code(response, 414) == "too_long"


def test_a_long_url_within_the_limit_is_read(api):
    """8190 bytes is the request's limit, not a parameter's: 39 page URLs of 200 characters."""
    urls = [f"{PAGE}/{index:02}/" + "a" * 170 for index in range(39)]
    response = api.client.get("/api/counts", query_string={"url": urls}, headers=api.headers())
    assert 7900 < len(response.request.environ["QUERY_STRING"]) + len("/api/counts") <= 8190
    assert check(response, 200)["counts"] == dict.fromkeys(urls, 0)


@pytest.mark.parametrize("data, content_type", [
    (None, None), (b"text=Hi", "application/x-www-form-urlencoded"),
    (b"[null]", "application/json")])
def test_log_out_reads_no_body_as_documented(api, data, content_type):
    api.register("dora")
    extra = {"Content-Type": content_type} if content_type else {}
    response = api.client.post("/api/auth/logout", data=data, headers=api.headers(**extra))
    check(response, 204)


def test_account_deletion_that_is_not_json_is_a_documented_415(api):
    api.register("erin")
    response = api.client.delete("/api/auth/me", data=b"password=x", headers=api.headers(
        **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert error_code(response, 415) == "unsupported_media_type"


def test_landing_page_is_documented(client):
    check(client.get("/"), 200)
