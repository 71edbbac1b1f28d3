"""``next`` values that browsers (or a lenient proxy) read as another site: one table for the login tests.

The first eight are the issue's; the old string filter let ``/\\evil.com`` through, and the site stayed put
only because werkzeug happened to percent-encode the backslash.
"""

OFF_SITE_NEXT = [
    "/\\evil.com",
    "/%5Cevil.com",
    "\\/evil.com",
    "/%2F%2Fevil.com",
    "https:evil.com",
    "/\t/evil.com",
    "//evil.com",
    "/.//evil.com",
    # and a few more
    "\\\\evil.com",
    "/\\/evil.com",
    "https://evil.com/",
    "http://localhost@evil.com/",
    "http://127.0.0.1@evil.com/",
    "//evil.com/history",
    "///evil.com",
    "/%09/evil.com",
    "/\r\n/evil.com",
    "/ /evil.com",
    "javascript:alert(1)",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "@evil.com",
    "/%2e%2e//evil.com",
    "/history/../\\evil.com",
]
