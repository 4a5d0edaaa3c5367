"""How imported text is compared: the same company, person, e-mail address or phone number written the
Japanese ways (full-width or half-width, 株式会社 before or after the name, (株), ㈱, K.K., 03-1234-5678 or
+81 3 1234 5678) gives the same key. Pure functions, no database."""

import re
import unicodedata

from .geography import PREFECTURES

# What a name keeps for comparison: letters and digits of any script (punctuation and spaces go).
_NOT_WORD = re.compile(r"[\W_]+")

# Japanese legal forms, as NFKC leaves them (㈱ → (株)); matched at either end of the name.
_JA_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "特定非営利活動法人",
    "npo法人",
    "社会福祉法人",
    "医療法人社団",
    "医療法人財団",
    "医療法人",
    "学校法人",
    "(株)",
    "(有)",
    "(同)",
    "(資)",
    "(名)",
    "(社)",
    "(財)",
    "(医)",
    "(学)",
)
# English legal forms at the end (or, rarely, the start) of a name; dots and commas optional.
_EN_FORMS = re.compile(
    r"(?:^|[\s,.]+)(?:co\.?,?\s*ltd\.?|company\s+limited|corporation|corp\.?|inc\.?|incorporated|limited|ltd\.?"
    r"|k\.?\s?k\.?|g\.?\s?k\.?|y\.?\s?k\.?|l\.?l\.?c\.?|co\.?)\s*$"
)
_EN_FORMS_START = re.compile(r"^(?:k\.?\s?k\.?|g\.?\s?k\.?)\s+")


def nfkc(value: str) -> str:
    """Full-width letters and digits to half-width, half-width katakana to full-width, ㈱ to (株); spaces
    (the ideographic one included) collapsed and trimmed."""
    if not value:
        return ""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return " ".join(value.split())


def email(value: str) -> str:
    return nfkc(value).replace(" ", "").lower()


_JA_FORMS_AT_ENDS = re.compile(
    "^(?:\\s*(?:{forms})\\s*)+|(?:\\s*(?:{forms})\\s*)+$".format(forms="|".join(re.escape(f) for f in _JA_FORMS))
)


def _strip_company_forms(name: str) -> str:
    name = _JA_FORMS_AT_ENDS.sub("", name)
    # English forms are written in Latin letters: a name ending or starting otherwise has none there.
    if name[-1:].isascii():
        name = _EN_FORMS.sub("", name).strip()
    if name[:1].isascii():
        name = _EN_FORMS_START.sub("", name)
    return name.strip()


def company_key(name: str) -> str:
    """The same for 株式会社テスト, テスト株式会社, (株)テスト, ﾃｽﾄ㈱ and テスト K.K.; punctuation, spaces and case
    do not count. A name that is only a legal form keys on itself."""
    text = nfkc(name).lower()
    core = _strip_company_forms(text)
    key = _NOT_WORD.sub("", core) or _NOT_WORD.sub("", text)
    return key[:200]


def person_key(last_name: str, first_name: str = "") -> str:
    """山田 太郎, 山田太郎 and ﾔﾏﾀﾞ ﾀﾛｳ/ヤマダ タロウ compare as written, without spaces and case."""
    return _NOT_WORD.sub("", nfkc(f"{last_name}{first_name}").lower())


def split_full_name(value: str) -> tuple[str, str]:
    """ "山田 太郎" → ("山田", "太郎"): family name first, as Japanese lists write it. Without a space the
    whole name is the family name (the rep reads it as written)."""
    parts = nfkc(value).split(" ", 1)
    return (parts[0], parts[1] if len(parts) > 1 else "")


_EXTENSION = re.compile(r"(内線|ext\.?|x\s*\d|#).*$", re.I)


def phone(value: str) -> str:
    """The number as written, with full-width digits and dashes made half-width (what is stored)."""
    text = nfkc(value)
    for dash in ("‐", "‑", "‒", "–", "—", "―", "−", "ー", "ｰ"):
        text = text.replace(dash, "-")
    return text


def phone_key(value: str) -> str:
    """Digits only, in the national format: 03-1234-5678, (03)1234-5678, ０３－１２３４－５６７８ and
    +81 3 1234 5678 all give 0312345678. A number from another country keeps its "+" and country code.
    Extensions (内線, ext.) do not count. Empty when there are no digits."""
    text = _EXTENSION.sub("", phone(value))
    digits = re.sub(r"\D", "", text)
    if not digits:
        return ""
    international = text.lstrip().startswith("+") or text.lstrip().startswith("00")
    if text.lstrip().startswith("00"):
        digits = digits[2:]
    if international:
        if digits.startswith("81"):
            rest = digits[2:]
            return rest if rest.startswith("0") else f"0{rest}"
        return f"+{digits}"
    return digits


# 11-digit Japanese numbers: mobiles, IP phones, M2M and 0800 toll-free; everything else has 10.
_ELEVEN_DIGIT_PREFIXES = ("020", "050", "060", "070", "080", "090", "0800")


def phone_is_valid(key: str) -> bool:
    """A Japanese number (0 then 9 digits, or 10 for mobiles, IP phones and 0800) or an international one."""
    if key.startswith("+"):
        return 8 <= len(key) - 1 <= 15
    if not key.startswith("0") or key.startswith("00"):
        return False
    if key.startswith(_ELEVEN_DIGIT_PREFIXES):
        return len(key) == 11
    return len(key) == 10


def _prefecture_lookup() -> tuple[dict[str, str], list[tuple[str, str]]]:
    exact: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    for code, ja, en, _area in PREFECTURES:
        short = ja if ja == "北海道" else ja[:-1]
        for name in (code, str(int(code)), ja, short, en.lower(), f"{en.lower()}-{ja[-1]}"):
            exact[name] = code
        prefixes.append((ja, code))
        prefixes.append((short, code))
    for en_suffix, ja_suffix in (("to", "都"), ("fu", "府"), ("ken", "県")):
        for code, ja, en, _area in PREFECTURES:
            if ja.endswith(ja_suffix):
                exact[f"{en.lower()}-{en_suffix}"] = code
                exact[f"{en.lower()} {en_suffix}"] = code
    exact["tokyo-to"] = "13"
    # Longest first, so 京都府 is never read as 京都 of 東京都 and 神奈川県 beats nothing shorter.
    prefixes.sort(key=lambda item: -len(item[0]))
    return exact, prefixes


_PREFECTURE_EXACT, _PREFECTURE_PREFIXES = _prefecture_lookup()
_POSTCODE = re.compile(r"^(〒\s*)?\d{3}-?\d{4}\s*")


def prefecture_code(value: str) -> str | None:
    """A prefecture's JIS code from its name (東京都, 東京, Tokyo), code (13) or an address starting with it
    (〒100-0005 東京都千代田区…). None when nothing matches."""
    text = nfkc(value)
    if not text:
        return None
    code = _PREFECTURE_EXACT.get(text.lower())
    if code:
        return code
    return address_prefecture(text)


_PREFIX_LENGTHS = sorted({len(name) for name, _code in _PREFECTURE_PREFIXES}, reverse=True)
_PREFIX_CODES = dict(reversed(_PREFECTURE_PREFIXES))


def address_prefecture(value: str) -> str | None:
    """The prefecture an address starts with (after an optional postcode), or None."""
    text = _POSTCODE.sub("", nfkc(value))
    for length in _PREFIX_LENGTHS:
        code = _PREFIX_CODES.get(text[:length])
        if code:
            return code
    return None


def picklist_key(value: str) -> str:
    """How a picklist value typed in a file compares with codes and names: NFKC, case and spaces ignored."""
    return nfkc(value).lower().replace(" ", "")


_COUNT = re.compile(r"^(?:約|およそ)?\s*([\d,]+)\s*(?:名|人|人程度|名程度)?$")


def count(value: str) -> int | None:
    """ "1,200", "１２００名", "約300人" → the number; None when it is not a whole number."""
    match = _COUNT.match(nfkc(value))
    if not match:
        return None
    digits = match.group(1).replace(",", "")
    return int(digits) if digits else None


def website(value: str) -> str:
    text = nfkc(value).replace(" ", "")
    if text and not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        text = f"https://{text}"
    return text
