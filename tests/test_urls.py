"""Page URLs: URL normalisation, origins and thread keys."""

import pytest

from kommentar.errors import Invalid
from kommentar.urls import normalise_origin, normalise_url, origin_of, thread_key

CANONICAL = "https://example.com/blog/post"


@pytest.mark.parametrize(
    "variant",
    [
        "https://EXAMPLE.com/blog/post",
        "HTTPS://example.com/blog/post",
        "https://example.com:443/blog/post",
        "https://example.com/blog/post#comments",
        "https://example.com/blog/post/",
        "https://example.com/blog/post//",
        "https://example.com/blog/./post",
        "https://example.com/blog/x/../post",
        "https://example.com/%62log/post",
        "https://example.com/blog/post?utm_source=news&utm_medium=email",
        "https://example.com/blog/post?UTM_Campaign=spring",
        "https://example.com/blog/post?fbclid=abc",
        "https://example.com/blog/post?gclid=abc&msclkid=def&_ga=1&_gl=2&igshid=3",
        "https://example.com/blog/post?mc_cid=1&mc_eid=2&yclid=3&dclid=4&gbraid=5&wbraid=6",
        "https://example.com/blog/post?ref_src=twsrc",
        "https://example.com/blog/post?",
        "  https://example.com/blog/post \n",
    ],
)
def test_spellings_of_one_page_share_a_key(variant):
    assert normalise_url(variant) == CANONICAL


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com/?b=2&a=1", "https://example.com/?a=1&b=2"),
        ("https://example.com/?a=2&a=1", "https://example.com/?a=1&a=2"),
        ("https://example.com/?b=2&utm_source=x&a=1", "https://example.com/?a=1&b=2"),
        ("https://example.com/~user", "https://example.com/%7euser"),
        ("https://example.com/~user", "https://example.com/%7Euser"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/?q=ü", "https://example.com/?q=%c3%bc"),
        ("https://bücher.de/", "https://xn--bcher-kva.de/"),
        ("https://BÜCHER.de/", "https://xn--bcher-kva.de/"),
        ("http://[0:0::1]:8080/", "http://[::1]:8080"),
        ("https://example.com:/", "https://example.com/"),
    ],
)
def test_equivalent_urls_normalise_alike(first, second):
    assert normalise_url(first) == normalise_url(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://example.com/blog/post", "https://example.com/blog/other"),
        ("https://example.com/blog/post", "https://example.org/blog/post"),
        ("https://example.com/blog/post", "https://www.example.com/blog/post"),
        ("https://example.com/blog/post", "https://example.com:8443/blog/post"),
        ("http://example.com/blog/post", "https://example.com/blog/post"),
        ("https://example.com/?page=1", "https://example.com/?page=2"),
        ("https://example.com/?page=1", "https://example.com/"),
        ("https://example.com/Blog/Post", "https://example.com/blog/post"),
        ("https://example.com/a%2Fb", "https://example.com/a/b"),
        ("https://example.com/a//b", "https://example.com/a/b"),
        ("https://example.com/?a", "https://example.com/?a="),
    ],
)
def test_different_pages_keep_different_keys(first, second):
    assert normalise_url(first) != normalise_url(second)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com", "https://example.com/"),
        ("http://Example.com:8080/A/?z=1&a=&b#x", "http://example.com:8080/A?a=&b&z=1"),
        ("https://example.com/?a=1&&b=2&", "https://example.com/?a=1&b=2"),
        ("https://example.com/x?q=%2f%41", "https://example.com/x?q=%2FA"),
        ("https://example.com/?q=it's", "https://example.com/?q=it%27s"),
        ("https://example.com/%zz", "https://example.com/%zz"),
        ("https://example.com/a/b/..", "https://example.com/a"),
        ("https://example.com/../..", "https://example.com/"),
        ("https://bücher.de/straße", "https://xn--bcher-kva.de/stra%C3%9Fe"),
        ("http://192.0.2.1:80/", "http://192.0.2.1/"),
    ],
)
def test_normalised_form_is_exact(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "/blog/post",
        "blog/post",
        "//example.com/blog/post",
        "http:/example.com/",
        "http:example.com",
        "http://",
        "http:///blog/post",
        "http://user:pass@example.com/",
        "http://user@example.com/",
        "http://@example.com/",
        "http://evil.example\\@example.com/",
        "https://example.com/" + "a" * 3000,
        "https://example.com/a\x00b",
        "https://example.com/a\nb",
        "https://example.com/a\tb",
        "https://example.com/a b",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://example.com:http/",
        "https://exa mple.com/",
        "https://example..com/",
        "https://ex%61mple.com/",
        "https://<script>.example/",
        "https://" + "a" * 64 + ".com/",
        "http://[::1/",
        "http://[::1]junk/",
        "http://[not-an-address]/",
        None,
        42,
    ],
)
def test_unacceptable_urls_are_refused(url):
    with pytest.raises(Invalid) as caught:
        normalise_url(url)
    assert caught.value.code == "invalid_url"


def test_url_that_grows_past_the_limit_when_encoded_is_refused():
    with pytest.raises(Invalid) as caught:
        normalise_url("https://example.com/" + "é" * 1000)
    assert caught.value.code == "invalid_url"


def test_url_of_exactly_the_limit_is_accepted():
    url = "https://example.com/" + "a" * (2048 - len("https://example.com/"))
    assert normalise_url(url) == url


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Example.com/blog/post?x=1#y", "https://example.com"),
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com:8443/a", "https://example.com:8443"),
        ("https://bücher.de/", "https://xn--bcher-kva.de"),
        ("http://[::1]:3000/", "http://[::1]:3000"),
    ],
)
def test_origin_of_a_url(url, origin):
    assert origin_of(url) == origin


def test_origin_of_an_unacceptable_url_is_refused_as_a_url():
    with pytest.raises(Invalid) as caught:
        origin_of("javascript:alert(1)")
    assert caught.value.code == "invalid_url"


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("HTTPS://Example.COM", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80/", "http://example.com"),
        ("http://localhost:5000", "http://localhost:5000"),
        ("https://bücher.de", "https://xn--bcher-kva.de"),
        (" https://example.com ", "https://example.com"),
    ],
)
def test_origins_normalise(origin, expected):
    assert normalise_origin(origin) == expected


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "",
        "example.com",
        "//example.com",
        "ftp://example.com",
        "https://example.com/blog",
        "https://example.com//",
        "https://example.com?",
        "https://example.com/?a=1",
        "https://example.com#top",
        "https://user@example.com",
        "https://example.com:99999",
        "https://",
        "https://exa mple.com",
    ],
)
def test_unacceptable_origins_are_refused(origin):
    with pytest.raises(Invalid) as caught:
        normalise_origin(origin)
    assert caught.value.code == "invalid_origin"


def test_thread_key_without_an_id_is_the_normalised_url():
    assert thread_key("https://EXAMPLE.com/post/?utm_source=x", None) == "https://example.com/post"


def test_thread_key_with_an_id_ignores_the_url_spelling():
    first = thread_key("https://example.com/post", "post-42")
    second = thread_key("https://example.com/other-address", "post-42")
    assert first == second == "id:post-42"


@pytest.mark.parametrize(
    ("thread_id", "key"),
    [
        ("  post-42  ", "id:post-42"),
        ("Ein Beitrag über Käse", "id:Ein Beitrag über Käse"),
        ("x" * 200, "id:" + "x" * 200),
        ("https://example.com/post", "id:https://example.com/post"),
    ],
)
def test_explicit_thread_ids(thread_id, key):
    assert thread_key("https://example.com/", thread_id) == key


@pytest.mark.parametrize(
    "thread_id",
    ["", "   ", "x" * 201, "post\x0042", "post\n42", "post\t42", "post\x1b42", "post\u200b42", 42],
)
def test_unacceptable_thread_ids_are_refused(thread_id):
    with pytest.raises(Invalid) as caught:
        thread_key("https://example.com/", thread_id)
    assert caught.value.code == "invalid_thread_id"


def test_thread_key_refuses_a_bad_url_even_with_an_id():
    with pytest.raises(Invalid) as caught:
        thread_key("javascript:alert(1)", "post-42")
    assert caught.value.code == "invalid_url"


def test_explicit_ids_and_urls_never_share_a_key():
    by_url = thread_key("https://example.com/post", None)
    by_id = thread_key("https://example.com/post", "https://example.com/post")
    assert by_url != by_id


# --- internationalised hosts: UTS 46, as browsers send them --------------------------------

@pytest.mark.parametrize(
    ("unicode", "ascii"),
    [
        ("https://straße.de", "https://xn--strae-oqa.de"),  # IDNA 2003 made it strasse.de
        ("https://Straße.DE", "https://xn--strae-oqa.de"),
        ("https://BÜCHER.example", "https://xn--bcher-kva.example"),
        ("https://æøå.dk", "https://xn--5cab8c.dk"),
        ("https://ÆØÅ.DK:8443", "https://xn--5cab8c.dk:8443"),
        ("https://blog.Fußball.de", "https://blog.xn--fuball-cta.de"),
        ("https://ｅｘａｍｐｌｅ.com", "https://example.com"),  # full-width, mapped as browsers do
    ],
)
def test_internationalised_hosts_take_the_form_browsers_send(unicode, ascii):
    assert normalise_origin(unicode) == ascii
    assert normalise_origin(ascii.upper().replace("HTTPS", "https")) == ascii
    assert normalise_url(unicode + "/Grüße") == ascii + "/Gr%C3%BC%C3%9Fe"
    assert origin_of(unicode + "/x") == ascii


@pytest.mark.parametrize(
    "host",
    ["ü..de", "-ü.de", "ü-.de", "ü" * 64 + ".de", "☃.example", "ü.xn--zz", "\u200d.de", "ü_x.de"],
)
def test_invalid_internationalised_hosts_are_refused(host):
    with pytest.raises(Invalid) as caught:
        normalise_url(f"https://{host}/")
    assert caught.value.code == "invalid_url"
    with pytest.raises(Invalid) as caught:
        normalise_origin(f"https://{host}")
    assert caught.value.code == "invalid_origin"


IDN_SITES = "https://straße.de, https://BÜCHER.example, https://æøå.dk"


@pytest.fixture
def idn_client(settings):
    from kommentar import create_app
    from kommentar.db import disconnect

    settings["origins"] = IDN_SITES
    yield create_app(settings).test_client()
    disconnect()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "origin",
    ["https://xn--strae-oqa.de", "https://XN--STRAE-OQA.DE", "https://xn--bcher-kva.example",
     "https://xn--5cab8c.dk"],
)
def test_a_site_configured_by_its_unicode_name_matches_its_origin_header(idn_client, origin):
    response = idn_client.get("/api/config", headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("origin", ["https://strasse.de", "https://xn--bcher-kva.de"])
def test_look_alike_hosts_of_a_unicode_site_are_not_it(idn_client, origin):
    response = idn_client.get("/api/config", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("origin", "posted", "other_spellings"),
    [
        ("https://xn--strae-oqa.de", "https://straße.de/Grüße",
         ["https://xn--strae-oqa.de/Gr%C3%BC%C3%9Fe", "https://STRAßE.de/Grüße"]),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example/neu",
         ["https://BÜCHER.example/neu", "https://bücher.example/neu/"]),
        ("https://xn--5cab8c.dk", "https://ÆØÅ.dk/blå",
         ["https://æøå.dk/bl%C3%A5", "https://XN--5CAB8C.DK/blå"]),
    ],
)
def test_unicode_and_punycode_page_urls_reach_one_thread(idn_client, origin, posted,
                                                         other_spellings):
    headers = {"Origin": origin}
    response = idn_client.post("/api/comments", headers=headers,
                               json={"url": posted, "text": "Hej!", "name": "Reader"})
    assert response.status_code == 201, response.json
    for url in other_spellings:
        thread = idn_client.get("/api/threads", query_string={"url": url}, headers=headers)
        assert [c["id"] for c in thread.json["comments"]] == [response.json["id"]], url
    counts = idn_client.get("/api/counts", headers=headers,
                            query_string=[("url", u) for u in [posted, *other_spellings]])
    assert counts.json["counts"] == dict.fromkeys([posted, *other_spellings], 1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", ["/api/threads", "/api/counts"])
def test_an_invalid_internationalised_host_is_a_400(idn_client, path):
    response = idn_client.get(path, query_string={"url": "https://☃.example/"},
                              headers={"Origin": "https://xn--strae-oqa.de"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_url"
