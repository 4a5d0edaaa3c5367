"""Japan's prefectures (JIS X 0401 codes) and the regions SQL mix is cut by."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.TextChoices):
    HOKKAIDO = "hokkaido", _("Hokkaido")
    TOHOKU = "tohoku", _("Tohoku")
    KANTO = "kanto", _("Kanto")
    CHUBU = "chubu", _("Chubu")
    KINKI = "kinki", _("Kinki")
    CHUGOKU = "chugoku", _("Chugoku")
    SHIKOKU = "shikoku", _("Shikoku")
    KYUSHU = "kyushu", _("Kyushu & Okinawa")


# (code, Japanese name, English name, area)
PREFECTURES = [
    ("01", "北海道", "Hokkaido", Area.HOKKAIDO),
    ("02", "青森県", "Aomori", Area.TOHOKU),
    ("03", "岩手県", "Iwate", Area.TOHOKU),
    ("04", "宮城県", "Miyagi", Area.TOHOKU),
    ("05", "秋田県", "Akita", Area.TOHOKU),
    ("06", "山形県", "Yamagata", Area.TOHOKU),
    ("07", "福島県", "Fukushima", Area.TOHOKU),
    ("08", "茨城県", "Ibaraki", Area.KANTO),
    ("09", "栃木県", "Tochigi", Area.KANTO),
    ("10", "群馬県", "Gunma", Area.KANTO),
    ("11", "埼玉県", "Saitama", Area.KANTO),
    ("12", "千葉県", "Chiba", Area.KANTO),
    ("13", "東京都", "Tokyo", Area.KANTO),
    ("14", "神奈川県", "Kanagawa", Area.KANTO),
    ("15", "新潟県", "Niigata", Area.CHUBU),
    ("16", "富山県", "Toyama", Area.CHUBU),
    ("17", "石川県", "Ishikawa", Area.CHUBU),
    ("18", "福井県", "Fukui", Area.CHUBU),
    ("19", "山梨県", "Yamanashi", Area.CHUBU),
    ("20", "長野県", "Nagano", Area.CHUBU),
    ("21", "岐阜県", "Gifu", Area.CHUBU),
    ("22", "静岡県", "Shizuoka", Area.CHUBU),
    ("23", "愛知県", "Aichi", Area.CHUBU),
    ("24", "三重県", "Mie", Area.KINKI),
    ("25", "滋賀県", "Shiga", Area.KINKI),
    ("26", "京都府", "Kyoto", Area.KINKI),
    ("27", "大阪府", "Osaka", Area.KINKI),
    ("28", "兵庫県", "Hyogo", Area.KINKI),
    ("29", "奈良県", "Nara", Area.KINKI),
    ("30", "和歌山県", "Wakayama", Area.KINKI),
    ("31", "鳥取県", "Tottori", Area.CHUGOKU),
    ("32", "島根県", "Shimane", Area.CHUGOKU),
    ("33", "岡山県", "Okayama", Area.CHUGOKU),
    ("34", "広島県", "Hiroshima", Area.CHUGOKU),
    ("35", "山口県", "Yamaguchi", Area.CHUGOKU),
    ("36", "徳島県", "Tokushima", Area.SHIKOKU),
    ("37", "香川県", "Kagawa", Area.SHIKOKU),
    ("38", "愛媛県", "Ehime", Area.SHIKOKU),
    ("39", "高知県", "Kochi", Area.SHIKOKU),
    ("40", "福岡県", "Fukuoka", Area.KYUSHU),
    ("41", "佐賀県", "Saga", Area.KYUSHU),
    ("42", "長崎県", "Nagasaki", Area.KYUSHU),
    ("43", "熊本県", "Kumamoto", Area.KYUSHU),
    ("44", "大分県", "Oita", Area.KYUSHU),
    ("45", "宮崎県", "Miyazaki", Area.KYUSHU),
    ("46", "鹿児島県", "Kagoshima", Area.KYUSHU),
    ("47", "沖縄県", "Okinawa", Area.KYUSHU),
]

PREFECTURE_CHOICES = [(code, f"{ja} / {en}") for code, ja, en, _area in PREFECTURES]


def prefectures_in(area):
    return [code for code, _ja, _en, a in PREFECTURES if a == area]
