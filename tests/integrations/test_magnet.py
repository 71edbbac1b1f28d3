"""Magnet links: what is accepted, what the app keeps from them, and what the user is told otherwise."""

import pytest

from movie_lottery.integrations.magnet import InvalidMagnet, Magnet, parse_magnet

HEX = "b45bfccfcd5301e94af8500b1a1863415346a91a"
BASE32 = "WRN7ZT6NKMA6SSXYKAFRUGDDIFJUNKI2"


def test_hex_hash_with_name():
    uri = f"magnet:?xt=urn:btih:{HEX}&dn=Some+Movie+%282024%29"
    assert parse_magnet(uri) == Magnet(info_hash=HEX, uri=uri)


def test_uppercase_hex_is_lowercased_and_whitespace_stripped():
    magnet = parse_magnet(f"  magnet:?xt=urn:btih:{HEX.upper()}\n")
    assert magnet.info_hash == HEX
    assert magnet.uri == f"magnet:?xt=urn:btih:{HEX.upper()}"


def test_base32_hash_decodes_to_the_same_20_bytes():
    assert parse_magnet(f"magnet:?xt=urn:btih:{BASE32}").info_hash == HEX
    assert parse_magnet(f"magnet:?xt=urn:btih:{BASE32.lower()}").info_hash == HEX


def test_scheme_and_urn_are_case_insensitive():
    assert parse_magnet(f"MAGNET:?xt=URN:BTIH:{HEX}").info_hash == HEX


def test_trackers_and_other_parameters_are_kept_in_the_uri():
    uri = f"magnet:?dn=x&tr=udp%3A%2F%2Ftracker.example%3A80&xt=urn:btih:{HEX}&xl=123"
    magnet = parse_magnet(uri)
    assert magnet.info_hash == HEX
    assert magnet.uri == uri


def test_hybrid_magnet_takes_the_btih_topic():
    btmh = "1220" + "ab" * 32
    magnet = parse_magnet(f"magnet:?xt=urn:btmh:{btmh}&xt=urn:btih:{HEX}&dn=Hybrid")
    assert magnet.info_hash == HEX


def test_same_hash_twice_in_both_spellings_is_fine():
    assert parse_magnet(f"magnet:?xt=urn:btih:{HEX}&xt=urn:btih:{BASE32}").info_hash == HEX


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "пустая"),
        ("   ", "пустая"),
        (f"http://example.com/?xt=urn:btih:{HEX}", "magnet:?"),
        (f"magnet:xt=urn:btih:{HEX}", "magnet:?"),
        ("magnet:?dn=No+hash", "xt=urn:btih"),
        ("magnet:?xt=urn:sha1:ABCDEF", "xt=urn:btih"),
        ("magnet:?xt=urn:btmh:1220" + "ab" * 32, "BitTorrent v2"),
        ("magnet:?xt=urn:btih:" + HEX[:-1], "40 шестнадцатеричных"),
        ("magnet:?xt=urn:btih:" + HEX + "a", "40 шестнадцатеричных"),
        ("magnet:?xt=urn:btih:" + "g" * 40, "40 шестнадцатеричных"),
        ("magnet:?xt=urn:btih:" + BASE32[:-1] + "1", "base32"),
        ("magnet:?xt=urn:btih:", "40 шестнадцатеричных"),
        (f"magnet:?xt=urn:btih:{HEX}&xt=urn:btih:{'c' * 40}", "несколько разных"),
        (f"magnet:?xt=urn:btih:{HEX}&dn=a\x00b", "управляющие"),
        (f"magnet:?xt=urn:btih:{HEX}\r\n&dn=x", "управляющие"),
        (f"magnet:?xt=urn:btih:{HEX}&dn={'a' * 5000}", "слишком длинная"),
    ],
)
def test_rejections_say_what_is_wrong(text, fragment):
    with pytest.raises(InvalidMagnet) as caught:
        parse_magnet(text)
    assert fragment in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_not_a_string_is_rejected():
    with pytest.raises(InvalidMagnet):
        parse_magnet(None)  # type: ignore[arg-type]


def test_length_limit_is_4096_characters():
    head = f"magnet:?xt=urn:btih:{HEX}&dn="
    assert parse_magnet(head + "a" * (4096 - len(head))).info_hash == HEX
    with pytest.raises(InvalidMagnet):
        parse_magnet(head + "a" * (4097 - len(head)))
