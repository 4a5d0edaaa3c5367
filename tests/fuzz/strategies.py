"""Hostile text shared by the fuzz tests: what a careless paste or an attacker puts into a field."""

from hypothesis import strategies as st

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE leads_lead; --",
    "１２３４５６７８９０",  # full-width digits
    "😀🚀 株式会社テスト 👍",
    "a\x00b",
    "\u202eevil\u202c",  # right-to-left override
    '=HYPERLINK("http://x")',
    "   ",
    "",
]

# Any text, including NUL, control characters, RTL marks and astral emoji, plus the classics above.
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
