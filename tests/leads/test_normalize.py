import pytest

from leads import normalize


@pytest.mark.parametrize(
    "name",
    [
        "株式会社アオバ技研",
        "アオバ技研株式会社",
        "(株)アオバ技研",
        "（株）アオバ技研",
        "㈱アオバ技研",
        "アオバ技研㈱",
        "株式会社　アオバ技研",
        "ｱｵﾊﾞ技研株式会社",
        "アオバ技研 K.K.",
        "アオバ技研 KK",
    ],
)
def test_legal_form_width_and_spacing_variants_share_a_company_key(name):
    assert normalize.company_key(name) == "アオバ技研"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("有限会社まるやま食堂", "まるやま食堂"),
        ("まるやま食堂（有）", "まるやま食堂"),
        ("合同会社ハヤテ", "ハヤテ"),
        ("医療法人社団ひまわり会", "ひまわり会"),
        ("一般社団法人 日本ＩＳ協会", "日本is協会"),
        ("Nextage Co., Ltd.", "nextage"),
        ("NEXTAGE CO.,LTD", "nextage"),
        ("Nextage K.K.", "nextage"),
        ("Nextage Inc.", "nextage"),
        ("Sony Group Corporation", "sonygroup"),
        ("ｔｅｓｔ株式会社", "test"),
        ("Costco", "costco"),
        ("株式会社", "株式会社"),
    ],
)
def test_company_key(name, key):
    assert normalize.company_key(name) == key


@pytest.mark.parametrize(
    ("written", "key", "valid"),
    [
        ("03-1234-5678", "0312345678", True),
        ("(03)1234-5678", "0312345678", True),
        ("03 1234 5678", "0312345678", True),
        ("０３－１２３４－５６７８", "0312345678", True),
        ("03ー1234ー5678", "0312345678", True),
        ("+81 3 1234 5678", "0312345678", True),
        ("+81-3-1234-5678", "0312345678", True),
        ("+81 (0)3-1234-5678", "0312345678", True),
        ("0081 3 1234 5678", "0312345678", True),
        ("03-1234-5678 内線123", "0312345678", True),
        ("090-1234-5678", "09012345678", True),
        ("+81 90 1234 5678", "09012345678", True),
        ("0120-123-456", "0120123456", True),
        ("0800-123-4567", "08001234567", True),
        ("0956-12-3456", "0956123456", True),
        ("+1 415 555 0100", "+14155550100", True),
        ("03-1234", "031234", False),
        ("090-1234-567", "0901234567", False),
        ("090-9876-54321", "090987654321", False),
        ("1234567890", "1234567890", False),
        ("なし", "", False),
    ],
)
def test_phone_key_and_validity(written, key, valid):
    assert normalize.phone_key(written) == key
    assert normalize.phone_is_valid(key) is valid


def test_stored_phone_is_half_width_as_written():
    assert normalize.phone("０３－１２３４－５６７８") == "03-1234-5678"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("東京都", "13"),
        ("東京", "13"),
        ("Tokyo", "13"),
        ("tokyo-to", "13"),
        ("13", "13"),
        ("１３", "13"),
        ("1", "01"),
        ("北海道", "01"),
        ("京都府", "26"),
        ("京都", "26"),
        ("大阪府大阪市北区梅田1-1", "27"),
        ("〒100-0005 東京都千代田区丸の内1-1", "13"),
        ("〒１００－０００５　東京都千代田区", "13"),
        ("京都市左京区", "26"),
        ("神奈川", "14"),
        ("Osaka-fu", "27"),
        ("千代田区丸の内", None),
        ("関東", None),
        ("Tokio", None),
        ("", None),
    ],
)
def test_prefecture_code(value, code):
    assert normalize.prefecture_code(value) == code


def test_email_is_half_width_lower_case_without_spaces():
    assert normalize.email(" Ｙａｍａｄａ@Aoba-Giken.co.jp ") == "yamada@aoba-giken.co.jp"


@pytest.mark.parametrize(
    ("value", "parts"),
    [("山田 太郎", ("山田", "太郎")), ("山田　太郎", ("山田", "太郎")), ("山田太郎", ("山田太郎", "")), ("", ("", ""))],
)
def test_split_full_name(value, parts):
    assert normalize.split_full_name(value) == parts


def test_person_key_ignores_spaces_and_width():
    assert (
        normalize.person_key("山田", "太郎") == normalize.person_key("山田太郎") == normalize.person_key("山田　太郎")
    )
    assert normalize.person_key("ﾔﾏﾀﾞ", "ﾀﾛｳ") == normalize.person_key("ヤマダ タロウ")


@pytest.mark.parametrize(
    ("value", "number"),
    [("120", 120), ("１２０", 120), ("1,200", 1200), ("約300人", 300), ("50名", 50), ("約三百名", None), ("abc", None)],
)
def test_count(value, number):
    assert normalize.count(value) == number


def test_website_gets_a_scheme():
    assert normalize.website("www.example.co.jp") == "https://www.example.co.jp"
    assert normalize.website("http://example.jp") == "http://example.jp"
