"""The demo company ``manage.py seed_demo`` builds: a Japanese HR-SaaS vendor's pipeline over 90 days.

Everything random comes from one ``random.Random(seed)``, and the story is told as of midnight today in
the company's time zone, so two runs on the same day with the same seed build the same data.

Bulk rows (companies, leads, activities, touch points) are inserted directly because thousands of
service calls would be slow; every status, handoff and phase move goes through the services so history
rows and invariants are theirs. Services stamp "now", so their timestamps are moved back afterwards
with bulk updates, in the order the services wrote the rows.
"""

import math
import random
import time as wallclock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import NotSupportedError, transaction
from django.db.models import CheckConstraint, Count, F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from activities.models import Activity, CallOutcome
from handoffs.models import Handoff
from handoffs.services import (
    fs_capacity_status,
    handoff_accept,
    handoff_create_sql,
    handoff_feedback,
    handoff_reject,
    opportunity_send_back,
    opportunity_win,
)
from leads.dates import weeks_in_month
from leads.geography import PREFECTURES, Area
from leads.models import (
    Campaign,
    CampaignEmailRequest,
    CampaignEmailRequestEvent,
    Company,
    Industry,
    Lead,
    LeadCheckpoint,
    LeadEvent,
    LeadRecycle,
    LeadSource,
    MqlRejectReason,
    MqlReview,
    NurturingCheckpoint,
    Origin,
    RecycleReason,
    Temperature,
    TouchPoint,
)
from leads.normalize import company_key, phone_key
from leads.services import (
    lead_disqualify,
    lead_nurture,
    lead_recycle,
    lead_start_working,
    lead_update_bant,
)
from opportunities.models import CSAccount, LostReason, Opportunity, Phase, PhaseHistory, Service
from opportunities.services import cs_account_update, opportunity_close_lost, opportunity_create, opportunity_move
from org.history import history_catch_up
from org.models import SizeBand, Team, User
from org.services import user_create

DEMO_PASSWORD = "demo-pass-2024"
ADMIN_PASSWORD = "admin-pass-2024"
DEMO_MARKER_USERNAMES = ("admin", "is01")
DAYS_OF_HISTORY = 90
DAY_OPENS, DAY_CLOSES = 9, 19  # business hours in the company's time zone

# ---------------------------------------------------------------------------------------------------------
# People and teams
# ---------------------------------------------------------------------------------------------------------

TEAMS = [
    # key, name, kind, placement, segment
    ("sdr", "SDRチーム", Team.Kind.SDR, Team.Placement.INDEPENDENT, ""),
    ("bdr", "BDRチーム", Team.Kind.BDR, Team.Placement.INDEPENDENT, ""),
    ("recycle", "リサイクルチーム", Team.Kind.RECYCLE, Team.Placement.INDEPENDENT, ""),
    ("fs_smb", "FS SMB", Team.Kind.FS_SEGMENT, "", SizeBand.S),
    ("fs_ent", "FS Enterprise", Team.Kind.FS_SEGMENT, "", SizeBand.XL),
    ("cs", "カスタマーサクセス", Team.Kind.CS, "", ""),
    ("marketing", "マーケティング", Team.Kind.MARKETING, "", ""),
]

# username, role, team key, last name, first name, romaji (given.family)
STAFF = [
    ("is01", User.Role.IS, "sdr", "佐藤", "健太", "kenta.sato"),
    ("is02", User.Role.IS, "sdr", "鈴木", "美咲", "misaki.suzuki"),
    ("is03", User.Role.IS, "sdr", "高橋", "翔太", "shota.takahashi"),
    ("is04", User.Role.IS, "sdr", "田中", "彩", "aya.tanaka"),
    ("is05", User.Role.IS, "sdr", "伊藤", "大輔", "daisuke.ito"),
    ("is06", User.Role.IS, "bdr", "渡辺", "拓也", "takuya.watanabe"),
    ("is07", User.Role.IS, "bdr", "山本", "麻衣", "mai.yamamoto"),
    ("is08", User.Role.IS, "bdr", "中村", "直樹", "naoki.nakamura"),
    ("is09", User.Role.IS, "bdr", "小林", "陽子", "yoko.kobayashi"),
    ("is10", User.Role.IS, "recycle", "加藤", "誠", "makoto.kato"),
    ("is11", User.Role.IS, "recycle", "吉田", "恵", "megumi.yoshida"),
    ("is12", User.Role.IS, "recycle", "山田", "亮", "ryo.yamada"),
    ("fs01", User.Role.FS, "fs_smb", "松本", "隆", "takashi.matsumoto"),
    ("fs02", User.Role.FS, "fs_smb", "井上", "由美", "yumi.inoue"),
    ("fs03", User.Role.FS, "fs_smb", "木村", "剛", "tsuyoshi.kimura"),
    ("fs04", User.Role.FS, "fs_smb", "林", "香織", "kaori.hayashi"),
    ("fs05", User.Role.FS, "fs_ent", "斎藤", "浩", "hiroshi.saito"),
    ("fs06", User.Role.FS, "fs_ent", "清水", "智子", "tomoko.shimizu"),
    ("fs07", User.Role.FS, "fs_ent", "山崎", "学", "manabu.yamazaki"),
    ("fs08", User.Role.FS, "fs_ent", "森", "真由美", "mayumi.mori"),
    ("cs01", User.Role.CS, "cs", "池田", "千尋", "chihiro.ikeda"),
    ("cs02", User.Role.CS, "cs", "橋本", "達也", "tatsuya.hashimoto"),
    ("cs03", User.Role.CS, "cs", "阿部", "結衣", "yui.abe"),
    ("manager1", User.Role.MANAGER, None, "石川", "雄一", "yuichi.ishikawa"),
    ("manager2", User.Role.MANAGER, None, "前田", "康弘", "yasuhiro.maeda"),
    ("mkt01", User.Role.MARKETING, "marketing", "岡田", "沙織", "saori.okada"),
]
MANAGED_TEAMS = {"manager1": ("sdr", "bdr", "recycle"), "manager2": ("fs_smb", "fs_ent", "cs")}
STAFF_EMAIL_DOMAIN = "kakehashi-demo.example"
# The top closers get more SQLs than their share, so the allocation-bias view has something to show.
FS_WEIGHTS = {"fs01": 1.6, "fs05": 1.5}

# ---------------------------------------------------------------------------------------------------------
# Customers: names, places, sizes
# ---------------------------------------------------------------------------------------------------------

SURNAMES = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"), ("伊藤", "ito"),
    ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"), ("小林", "kobayashi"), ("加藤", "kato"),
    ("吉田", "yoshida"), ("山田", "yamada"), ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"),
    ("井上", "inoue"), ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"), ("阿部", "abe"),
    ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"), ("石井", "ishii"), ("小川", "ogawa"),
    ("前田", "maeda"), ("岡田", "okada"), ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"),
    ("近藤", "kondo"), ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
    ("福田", "fukuda"), ("太田", "ota"), ("西村", "nishimura"), ("藤井", "fujii"), ("金子", "kaneko"),
    ("岡本", "okamoto"), ("藤原", "fujiwara"), ("中野", "nakano"), ("三浦", "miura"), ("原田", "harada"),
    ("松田", "matsuda"), ("竹内", "takeuchi"), ("中川", "nakagawa"), ("小野", "ono"), ("田村", "tamura"),
    ("和田", "wada"), ("石田", "ishida"), ("森田", "morita"), ("上田", "ueda"), ("原", "hara"),
    ("柴田", "shibata"), ("酒井", "sakai"), ("工藤", "kudo"), ("横山", "yokoyama"), ("宮崎", "miyazaki"),
    ("宮本", "miyamoto"), ("内田", "uchida"), ("高木", "takagi"), ("安藤", "ando"), ("谷口", "taniguchi"),
    ("丸山", "maruyama"), ("今井", "imai"), ("河野", "kono"), ("藤本", "fujimoto"), ("村田", "murata"),
    ("武田", "takeda"), ("上野", "ueno"), ("杉山", "sugiyama"), ("増田", "masuda"), ("平野", "hirano"),
    ("大塚", "otsuka"), ("千葉", "chiba"), ("久保", "kubo"), ("松井", "matsui"), ("小島", "kojima"),
    ("岩崎", "iwasaki"), ("桜井", "sakurai"), ("野口", "noguchi"), ("松尾", "matsuo"), ("野村", "nomura"),
    ("木下", "kinoshita"), ("菊地", "kikuchi"), ("佐野", "sano"), ("大西", "onishi"), ("杉本", "sugimoto"),
    ("新井", "arai"),
]  # fmt: skip
GIVEN_NAMES = [
    ("健太", "kenta"), ("翔太", "shota"), ("大輔", "daisuke"), ("拓也", "takuya"), ("直樹", "naoki"),
    ("和也", "kazuya"), ("誠", "makoto"), ("隆", "takashi"), ("浩", "hiroshi"), ("学", "manabu"),
    ("剛", "tsuyoshi"), ("亮", "ryo"), ("達也", "tatsuya"), ("雄一", "yuichi"), ("健一", "kenichi"),
    ("洋平", "yohei"), ("悠斗", "yuto"), ("大樹", "daiki"), ("翼", "tsubasa"), ("修", "osamu"),
    ("正人", "masato"), ("俊介", "shunsuke"), ("智也", "tomoya"), ("聡", "satoshi"), ("博之", "hiroyuki"),
    ("哲也", "tetsuya"), ("康弘", "yasuhiro"), ("信也", "shinya"), ("陽介", "yosuke"), ("一郎", "ichiro"),
    ("美咲", "misaki"), ("陽子", "yoko"), ("恵", "megumi"), ("由美", "yumi"), ("彩", "aya"),
    ("麻衣", "mai"), ("愛", "ai"), ("真由美", "mayumi"), ("裕子", "yuko"), ("明美", "akemi"),
    ("香織", "kaori"), ("智子", "tomoko"), ("千尋", "chihiro"), ("奈々", "nana"), ("結衣", "yui"),
    ("さくら", "sakura"), ("葵", "aoi"), ("沙織", "saori"), ("里美", "satomi"), ("久美子", "kumiko"),
    ("京子", "kyoko"), ("直子", "naoko"), ("理恵", "rie"), ("瞳", "hitomi"), ("彩花", "ayaka"),
    ("真理子", "mariko"), ("菜摘", "natsumi"), ("美穂", "miho"), ("純子", "junko"), ("舞", "mai"),
]  # fmt: skip

COMPANY_CORES = [
    ("東和", "towa"), ("大和", "yamato"), ("中央", "chuo"), ("富士", "fuji"), ("平和", "heiwa"),
    ("三栄", "sanei"), ("昭和", "showa"), ("北斗", "hokuto"), ("朝日", "asahi"), ("光洋", "koyo"),
    ("青葉", "aoba"), ("若葉", "wakaba"), ("千代田", "chiyoda"), ("大栄", "daiei"), ("共栄", "kyoei"),
    ("協和", "kyowa"), ("新光", "shinko"), ("明和", "meiwa"), ("和光", "wako"), ("丸和", "maruwa"),
    ("泉", "izumi"), ("白鳥", "shiratori"), ("松風", "matsukaze"), ("日進", "nisshin"), ("東洋", "toyo"),
    ("大成", "taisei"), ("太陽", "taiyo"), ("高砂", "takasago"), ("敷島", "shikishima"), ("八千代", "yachiyo"),
    ("常盤", "tokiwa"), ("緑川", "midorikawa"), ("松葉", "matsuba"), ("星野", "hoshino"), ("山城", "yamashiro"),
    ("森山", "moriyama"), ("川島", "kawashima"), ("石原", "ishihara"), ("大島", "oshima"), ("丸山", "maruyama"),
    ("中西", "nakanishi"), ("岡村", "okamura"), ("宮田", "miyata"), ("村井", "murai"), ("浜田", "hamada"),
    ("杉浦", "sugiura"), ("北村", "kitamura"), ("南", "minami"), ("西田", "nishida"), ("東山", "higashiyama"),
    ("藤崎", "fujisaki"), ("堀江", "horie"), ("吉川", "yoshikawa"), ("平野", "hirano"), ("栄光", "eiko"),
    ("信和", "shinwa"), ("誠和", "seiwa"), ("昭栄", "shoei"), ("日栄", "nichiei"), ("三協", "sankyo"),
    ("第一", "daiichi"), ("東邦", "toho"), ("新和", "shinwa-k"), ("旭光", "kyokko"), ("瑞光", "zuiko"),
    ("ミライ", "mirai"), ("サクラ", "sakura"), ("ヒカリ", "hikari"), ("ツバサ", "tsubasa"), ("ソラ", "sora"),
    ("ミドリ", "midori"), ("アスカ", "asuka"), ("ネクスト", "next"), ("グローバル", "global"),
    ("フロンティア", "frontier"), ("クレスト", "crest"), ("ブライト", "bright"), ("エール", "yell"),
    ("ハーモニー", "harmony"), ("リンク", "link"), ("スマイル", "smile"), ("ユニティ", "unity"), ("アーク", "arc"),
    ("ノヴァ", "nova"), ("ルミナ", "lumina"), ("オーシャン", "ocean"), ("フォレスト", "forest"),
    ("ステラ", "stella"), ("アルファ", "alpha"), ("コスモ", "cosmo"), ("ライズ", "rise"), ("ウィズ", "with"),
]  # fmt: skip

# A regional prefix that fits where the company is ("関西" for Osaka, "博多" for Fukuoka).
REGION_WORDS = {
    Area.HOKKAIDO: [("北海道", "hokkaido"), ("札幌", "sapporo")],
    Area.TOHOKU: [("東北", "tohoku"), ("みちのく", "michinoku")],
    Area.KANTO: [("東京", "tokyo"), ("京浜", "keihin"), ("城南", "jonan"), ("関東", "kanto"), ("首都圏", "shutoken")],
    Area.CHUBU: [("中部", "chubu"), ("東海", "tokai"), ("北陸", "hokuriku"), ("名古屋", "nagoya")],
    Area.KINKI: [("関西", "kansai"), ("大阪", "osaka"), ("阪神", "hanshin"), ("京阪", "keihan")],
    Area.CHUGOKU: [("中国", "chugoku"), ("山陽", "sanyo"), ("広島", "hiroshima")],
    Area.SHIKOKU: [("四国", "shikoku"), ("瀬戸内", "setouchi")],
    Area.KYUSHU: [("九州", "kyushu"), ("博多", "hakata"), ("西日本", "nishinihon")],
}

# Industry code: (suffix, romaji) pairs a kabushiki-gaisha takes, and non-company forms with their share.
INDUSTRY_NAMES = {
    "manufacturing": [
        ("工業", "kogyo"), ("製作所", "seisakusho"), ("精機", "seiki"), ("電機", "denki"), ("化学", "kagaku"),
        ("技研", "giken"), ("金属", "kinzoku"), ("樹脂", "jushi"), ("印刷", "insatsu"), ("製菓", "seika"),
        ("食品", "shokuhin"), ("機械", "kikai"), ("電子", "denshi"),
    ],
    "it": [
        ("システム", "system"), ("テクノロジーズ", "technologies"), ("ソフトウェア", "software"),
        ("ソリューションズ", "solutions"), ("データ", "data"), ("ネットワークス", "networks"),
        ("デジタル", "digital"), ("ラボ", "lab"), ("インフォテック", "infotech"),
    ],
    "retail": [
        ("ストア", "store"), ("商店", "shoten"), ("ドラッグ", "drug"), ("フーズ", "foods"), ("マート", "mart"),
        ("リテール", "retail"), ("書房", "shobo"),
    ],
    "wholesale": [
        ("商事", "shoji"), ("物産", "bussan"), ("商会", "shokai"), ("トレーディング", "trading"),
        ("産業", "sangyo"), ("通商", "tsusho"),
    ],
    "logistics": [
        ("運輸", "unyu"), ("物流", "butsuryu"), ("ロジスティクス", "logistics"), ("運送", "unso"),
        ("倉庫", "soko"), ("交通", "kotsu"), ("エクスプレス", "express"),
    ],
    "construction": [
        ("建設", "kensetsu"), ("工務店", "komuten"), ("組", "gumi"), ("設備", "setsubi"), ("電設", "densetsu"),
        ("土木", "doboku"), ("住建", "juken"),
    ],
    "finance": [
        ("リース", "lease"), ("キャピタル", "capital"), ("保険サービス", "hoken"), ("証券", "shoken"),
        ("ファイナンス", "finance"), ("カード", "card"),
    ],
    "real_estate": [
        ("不動産", "fudosan"), ("地所", "jisho"), ("ハウジング", "housing"), ("エステート", "estate"),
        ("ホーム", "home"), ("都市開発", "toshikaihatsu"),
    ],
    "services": [
        ("サービス", "service"), ("コンサルティング", "consulting"), ("エージェンシー", "agency"),
        ("クリエイト", "create"), ("ビルサービス", "building"), ("警備保障", "keibi"), ("スタッフ", "staff"),
        ("ホテル", "hotel"), ("観光", "kanko"),
    ],
    "healthcare": [
        ("メディカル", "medical"), ("ケアサービス", "care"), ("調剤薬局", "pharmacy"), ("ヘルスケア", "healthcare"),
    ],
    "education": [("ゼミナール", "seminar"), ("アカデミー", "academy"), ("教育", "kyoiku"), ("進学会", "shingakukai")],
    "public": [("産業振興財団", "zaidan"), ("協会", "kyokai")],
}  # fmt: skip
# Forms that are not a kabushiki-gaisha: (template, romaji suffix, share of the industry's companies).
SPECIAL_FORMS = {
    "healthcare": [("医療法人社団{core}会", "kai", 0.35), ("社会福祉法人{core}福祉会", "fukushikai", 0.2)],
    "education": [("学校法人{core}学園", "gakuen", 0.4)],
    "public": [("公益財団法人{core}産業振興財団", "zaidan", 0.5), ("一般社団法人{core}協会", "kyokai", 0.5)],
}
INDUSTRY_WEIGHTS = {
    "manufacturing": 22, "it": 14, "retail": 9, "wholesale": 10, "logistics": 7, "construction": 9,
    "finance": 4, "real_estate": 5, "services": 12, "healthcare": 5, "education": 2, "public": 1,
}  # fmt: skip

# (lowest, highest employee count, share of companies): many small companies, few large ones.
SIZE_MIX = [(5, 30, 40), (31, 100, 28), (101, 300, 17), (301, 999, 9), (1000, 15000, 6)]
PREFECTURE_WEIGHTS = {"13": 30, "27": 10, "23": 8, "14": 8, "40": 5, "11": 4, "12": 3, "28": 3, "01": 3, "26": 2}
PREFECTURE_WEIGHTS_OTHER = 0.6
AREA_CODES = {
    "01": "011", "02": "017", "03": "019", "04": "022", "05": "018", "06": "023", "07": "024", "08": "029",
    "09": "028", "10": "027", "11": "048", "12": "043", "13": "03", "14": "045", "15": "025", "16": "076",
    "17": "076", "18": "0776", "19": "055", "20": "026", "21": "058", "22": "054", "23": "052", "24": "059",
    "25": "077", "26": "075", "27": "06", "28": "078", "29": "0742", "30": "073", "31": "0857", "32": "0852",
    "33": "086", "34": "082", "35": "083", "36": "088", "37": "087", "38": "089", "39": "088", "40": "092",
    "41": "0952", "42": "095", "43": "096", "44": "097", "45": "0985", "46": "099", "47": "098",
}  # fmt: skip
AREA_OF = {code: area for code, _ja, _en, area in PREFECTURES}

DEPARTMENTS = ["人事部", "総務部", "経理部", "情報システム部", "経営企画部", "営業部"]
DEPARTMENT_WEIGHTS = [30, 25, 15, 12, 10, 8]
TITLES = ["担当", "主任", "課長", "部長", "代表取締役"]

# ---------------------------------------------------------------------------------------------------------
# Marketing: sources and campaigns
# ---------------------------------------------------------------------------------------------------------

INBOUND_SOURCES = ("web_inquiry", "document_request", "trade_show", "seminar", "trial", "referral")
IMPORTED_SOURCES = ("trade_show", "seminar", "house_list", "target_account")  # Marketing uploads the list
SOURCE_WEIGHTS = {
    "web_inquiry": 14, "document_request": 20, "trade_show": 8, "seminar": 12, "trial": 5,
    "house_list": 22, "target_account": 12, "referral": 4,
}  # fmt: skip
CAMPAIGN_SHARE = {
    "web_inquiry": 0.5, "document_request": 0.7, "trade_show": 0.95, "seminar": 0.95, "trial": 0.8,
    "house_list": 0.6, "target_account": 0.7, "referral": 0.5,
}  # fmt: skip
# source, name template, first and last day relative to today. Names carry the season and fiscal half
# of their dates, so the list reads right whenever it is built.
CAMPAIGNS = [
    ("seminar", "{year}{season} 勤怠管理ウェビナー", -62, -48),
    ("seminar", "年末調整・給与計算 実務セミナー {year}", -24, -17),
    ("trade_show", "HR EXPO {year} 出展", -83, -81),
    ("trade_show", "バックオフィスDXフェア {year}", -38, -36),
    ("document_request", "資料請求LP 給与計算", -170, -1),
    ("web_inquiry", "Web問い合わせLP 勤怠管理", -150, -1),
    ("trial", "無料トライアル 経費精算", -120, -1),
    ("house_list", "ハウスリスト再アプローチ {fiscal_year}年度{half}", -90, -1),
    ("target_account", "ターゲットアカウント 製造・物流300社", -75, -1),
    ("referral", "社労士パートナー紹介プログラム", -180, -1),
]
CAMPAIGN_TAIL_DAYS = 7  # leads keep coming in for a week after a campaign ends

# ---------------------------------------------------------------------------------------------------------
# What reps write
# ---------------------------------------------------------------------------------------------------------

SERVICE_NEEDS = {
    "attendance": [
        "紙のタイムカードを月末にExcelへ手入力しており、締めに3日かかっている",
        "時間外労働の上限規制に対応するため、残業時間をリアルタイムに把握したい",
        "拠点ごとに勤怠ルールが異なり、集計ミスが毎月発生している",
        "シフト制の店舗が多く、勤務表の作成と打刻の突合に時間がかかる",
    ],
    "payroll": [
        "給与計算を外部委託しているがコストが高く、内製化したい",
        "年末調整の書類回収を電子化し、紙のやり取りをなくしたい",
        "給与明細の紙配布をやめ、Webで配信したい",
        "担当者1名に給与計算が属人化しており、引き継ぎが不安",
    ],
    "expense": [
        "紙の領収書の回付で承認が遅れ、月次決算が締まらない",
        "電子帳簿保存法への対応が必要",
        "交通費精算の確認に経理が毎月20時間以上かけている",
        "法人カードの明細と申請の突合を自動化したい",
    ],
    "hr_database": [
        "人事情報がExcelに散らばっており、配置検討に時間がかかる",
        "評価シートを紙で運用しており、集計と保管が大変",
        "入社手続きの書類を電子化して、従業員情報を一元管理したい",
        "スキル情報を可視化して異動・育成計画に活かしたい",
    ],
}
CURRENT_TOOLS = ["Excel", "紙のタイムカード", "オンプレミスの自社システム", "他社のクラウドサービス", "紙とExcelの併用"]
BUDGETS = [
    "年間{n}万円程度を想定",
    "今期予算で{n}万円を確保済み",
    "来期予算に{n}万円を計上予定",
    "月額{m}万円以内が目安",
]
AUTHORITIES = [
    "{dept}長の{sur}様が決裁、最終承認は社長",
    "人事部長と情報システム部長の合議で決定",
    "稟議で役員会の承認が必要（{sur}部長が起案）",
    "代表取締役が直接決裁",
    "管理本部長の{sur}様が決裁者",
]
TIMEFRAMES = [
    "{month}月からの本稼働を希望",
    "来年4月の新年度から運用を開始したい",
    "年度内に選定し、{month}月に導入予定",
    "今期中（3月末まで）に導入したい",
    "次回の制度改定に合わせて半年以内に切り替えたい",
]
WHY_NOW = [
    "法改正への対応期限が迫っており、現行の運用では間に合わない",
    "現行システムの保守が来年3月で終了する",
    "従業員が{n}名を超え、手作業での管理が限界に来ている",
    "担当者の退職が決まり、属人化した業務の見直しが急務",
    "新拠点の開設に合わせて仕組みを整えたい",
    "監査で勤怠記録の不備を指摘された",
]
TO_CONFIRM = [
    "正確な予算額と稟議のスケジュール",
    "既存の給与ソフトとのデータ連携要件",
    "決裁者の初回商談への同席可否",
    "導入希望時期と必要な導入支援の範囲",
    "対象となる従業員数と雇用形態の内訳",
    "比較中の他社サービスと評価のポイント",
]
RECYCLE_NOTES = {
    "timing": "導入は来年度以降とのこと。時期を合わせて再アプローチ",
    "budget": "予算未確保。予算策定の時期に合わせて再連絡",
    "no_authority": "担当者は前向きだが決裁者に未接触。上長同席の打診を再度行う",
    "competitor": "他社サービスを利用中。契約更新前に比較提案する",
    "no_need": "現時点ではニーズなし。法改正のタイミングで再提案",
    "info_gathering": "情報収集段階。事例資料を送付済み、反応を見て再架電",
    "unreachable": "5回架電したが担当者不在。時期を改めて再アプローチ",
    "internal": "社内で要件を調整中。取りまとめ後に連絡をもらう約束",
}
RECYCLE_REASON_WEIGHTS = {
    "timing": 25, "budget": 15, "no_authority": 12, "competitor": 10,
    "no_need": 12, "info_gathering": 14, "unreachable": 8, "internal": 4,
}  # fmt: skip
RECYCLE_METHOD_WEIGHTS = {"call": 60, "mail": 20, "seminar": 10, "materials": 10}
NURTURE_REASONS = [
    "来期以降の検討。メルマガとセミナー案内で関係を維持する",
    "情報収集段階。導入事例のコンテンツで育成する",
    "予算化は来年度。四半期ごとにフォローする",
    "現行サービスの契約が1年残っている。更新前にアプローチする",
]
DISQUALIFY_REASONS = [
    "個人事業主のためサービス対象外",
    "競合他社による情報収集",
    "重複リード（同じ会社の別担当者で対応中）",
    "学生・求職者からの問い合わせ",
    "既存顧客のためCSへ連携済み",
    "営業電話お断りの意思表示あり",
    "連絡先不備（電話・メールとも不通）",
]
REJECT_REASONS = [
    "決裁者・予算ともに未確認で、情報収集段階のため時期尚早",
    "従業員数が想定より少なく、現行プランでは提案できない",
    "既存顧客の別部署からの相談で、CSで対応すべき案件",
    "ニーズが当社サービスと合わない（海外拠点の給与計算のみ）",
]
FEEDBACK_REASONS = [
    "予算感がヒアリング内容より小さかった",
    "決裁者は別の役員だった",
    "導入時期が1年先だった",
    "ニーズは情報収集レベルにとどまっていた",
    "比較検討中の他社がすでに最終候補になっていた",
]
LOST_REASON_WEIGHTS = {
    "price": 25,
    "competitor": 30,
    "timing": 20,
    "no_budget": 10,
    "no_decision": 10,
    "feature_gap": 5,
}
LOST_NOTES = {
    "price": "他社より見積が高く、価格差を埋められなかった",
    "competitor": "競合のクラウドサービスに決定。既存システムとの連携が決め手",
    "timing": "社内の組織再編で導入が半年以上延期",
    "no_budget": "今期の予算が確保できず見送り",
    "no_decision": "決裁者の判断が出ず、検討自体が止まった",
    "feature_gap": "独自の勤怠ルールへの対応が必要で、標準機能では不足",
}
SEND_BACK_REASONS = [
    "初回商談以降、先方の返信が止まっている。時期を改めてISで再接触してほしい",
    "担当者が異動になり、後任が未定。後任者の確認からお願いしたい",
]
NEXT_ACTIONS = [
    "初回商談の日程確定",
    "提案書の送付",
    "見積書の提示",
    "決裁者同席の商談設定",
    "トライアル環境の準備",
    "稟議の進捗確認",
    "契約書の送付",
]
HEALTH_WEIGHTS = {CSAccount.Health.GREEN: 65, CSAccount.Health.YELLOW: 25, CSAccount.Health.RED: 10}
FEEDBACK_WEIGHTS = {Handoff.Feedback.YES: 65, Handoff.Feedback.PARTLY: 25, Handoff.Feedback.NO: 10}
SUCCESS_DEFINITIONS = [
    "月末の勤怠締めを3日から半日に短縮する",
    "紙の申請をゼロにし、承認のリードタイムを1日以内にする",
    "給与計算の外部委託費を年間30%削減する",
    "全拠点の残業時間をリアルタイムで把握し、36協定違反をゼロにする",
    "経費精算の差し戻し率を半分にする",
]
EXPANSION_NOTES = [
    "給与計算のクロスセル余地あり（来期検討）",
    "グループ会社2社への展開を検討中",
    "経費精算の追加導入に関心あり",
    "",
]
CALL_NOTES = {
    "no_answer": ["", "", "不在。改めて架電", "留守電にメッセージを残した"],
    "gatekeeper": ["受付で担当者不在と言われた", "受付ブロック。メールで資料送付を打診", "代表番号から取り次ぎ不可"],
    "callback": ["本日16時以降に折り返し希望", "来週月曜の午前に再架電を依頼された", "担当者から折り返し予定"],
    "info_sent": ["料金表と導入事例を送付", "製品資料を送付。来週フォロー", "事例集を送付し、感想を聞く約束"],
    "hearing": [
        "現状はExcelで集計。月末の締め作業が負担とのこと",
        "従業員規模と拠点数をヒアリング。給与ソフトとの連携を重視",
        "他社サービスと比較中。決裁の流れを確認",
        "課題は承認の遅さ。来月の会議で共有してもらう",
    ],
    "appointment": ["初回Web商談のアポイント獲得", "決裁者同席での商談を設定"],
    "not_interested": ["現状のシステムで満足しているとのこと", "今は検討していない", "本社で一括管理しているため不要"],
    "wrong_number": ["番号違い。代表番号を確認する", "番号が使われていない"],
}
MAIL_NOTES = [
    "資料送付のご案内",
    "ウェビナーご参加のお礼",
    "日程調整のご連絡",
    "導入事例のご紹介",
    "お問い合わせへのご回答",
]
FS_NOTES = {
    Activity.Kind.WEB_MEETING: ["初回Web商談。課題と現状の運用をヒアリング", "デモを実施。操作性の評価は高い"],
    Activity.Kind.VISIT: ["訪問して提案。導入スケジュールを説明", "決裁者同席で最終提案"],
    Activity.Kind.CALL: ["見積の条件を確認", "稟議の進捗を確認", "不在。折り返し待ち"],
    Activity.Kind.MAIL: ["提案書を送付", "見積書を送付", "議事録を共有"],
}
UNIT_PRICES = {"attendance": 300, "payroll": 400, "expense": 500, "hr_database": 600}  # yen per user per month
SITE = "https://www.kakehashi-hr.example"
TOUCH_URLS = {
    TouchPoint.Kind.PAGE_VIEW: ["/", "/attendance/", "/payroll/", "/expense/", "/pricing/", "/case-studies/"],
    TouchPoint.Kind.DEMO_CLICK: ["/demo/"],
    TouchPoint.Kind.EMAIL_OPEN: [""],
    TouchPoint.Kind.EMAIL_CLICK: ["/case-studies/manufacturing/", "/seminar/"],
    TouchPoint.Kind.FORM: ["/contact/", "/download/"],
    TouchPoint.Kind.SEMINAR: ["/seminar/"],
    TouchPoint.Kind.TRIAL: ["/trial/"],
}
TOUCH_WEIGHTS = {
    TouchPoint.Kind.PAGE_VIEW: (55, 1),
    TouchPoint.Kind.EMAIL_OPEN: (20, 1),
    TouchPoint.Kind.EMAIL_CLICK: (8, 3),
    TouchPoint.Kind.DEMO_CLICK: (5, 10),
    TouchPoint.Kind.FORM: (4, 10),
    TouchPoint.Kind.SEMINAR: (4, 5),
    TouchPoint.Kind.TRIAL: (4, 15),
}  # kind: (share, score)

# Deals: days between phases, and the chance a deal goes on to the next one.
PHASE_GAPS = {"02": (2, 12), "03": (5, 20), "04": (7, 25), "05W": (7, 30)}
PHASE_GO_ON = {"02": 0.85, "03": 0.72, "04": 0.68, "05W": 0.5}
FORCED_WINS = 2  # sales-generated deals that always close, so even a tiny demo has a customer


# ---------------------------------------------------------------------------------------------------------
# Plans: what happens to each lead and deal, decided before any row is written
# ---------------------------------------------------------------------------------------------------------


# How often IS accepts an MQL from each source; the rest are "not a fit" with these reasons.
MQL_FIT = {"trade_show": 0.55, "seminar": 0.7, "trial": 0.85, "web_inquiry": 0.8, "document_request": 0.6}
MQL_REASON_WEIGHTS = {
    "out_of_target": 5,
    "info_only": 5,
    "no_need": 3,
    "competitor": 2,
    "individual": 2,
    "invalid_contact": 2,
    "duplicate": 1,
    "vendor_pitch": 1,
    "other": 1,
}
# (subject, recipient list, status, desired send day relative to today)
MAIL_REQUESTS = [
    ("【導入事例】製造業A社、勤怠集計を月20時間削減", "展示会で名刺交換した製造業のリード(未商談化)", "requested", 6),
    ("法改正セミナーのアーカイブ公開のお知らせ", "セミナー申込者のうち欠席された方", "requested", 3),
    ("【業界ニュース】2027年4月施行の改正内容まとめ", "ハウスリスト:人事・総務部門", "accepted", 8),
    ("無料トライアル延長キャンペーンのご案内", "トライアル終了後30日以内で未商談のリード", "scheduled", 2),
    ("【導入事例】小売業B社の店舗シフト管理", "小売業のリサイクルリード(理由:導入時期が先)", "sent", -10),
    ("年末年始のサポート窓口について", "全リード", "declined", 4),
]
MAIL_BODY = (
    "いつもお世話になっております。\n\n{subject}\n\n"
    "詳しくは以下のページをご覧ください。\nhttps://example.com/news\n\n"
    "ご不明な点がございましたら、担当までお気軽にお問い合わせください。"
)


@dataclass
class LeadPlan:
    lead: Lead
    owner: User | None
    importer: User | None
    created_at: datetime
    service: Service
    fate: str = "new"
    first_touch: datetime | None = None
    closed: datetime | None = None
    revived: datetime | None = None
    qualified: datetime | None = None
    heard: datetime | None = None
    reviver: User | None = None
    # Times of the lead's history rows after "created", in the order the services write them.
    steps: list[datetime] = field(default_factory=list)
    recycles: list[datetime] = field(default_factory=list)
    # (rep, from, to): who worked the lead when; calls and mails fall in these windows.
    segments: list[tuple[User, datetime, datetime]] = field(default_factory=list)


@dataclass
class DealPlan:
    opportunity: Opportunity
    owner: User
    opened: datetime
    lead_plan: LeadPlan | None = None
    sql_handoff: Handoff | None = None
    history: list[datetime] = field(default_factory=list)
    moves: list[tuple[str, datetime]] = field(default_factory=list)
    responded: datetime | None = None
    feedback_at: datetime | None = None
    closed: datetime | None = None
    stalls: bool = False
    cs_handoff: Handoff | None = None
    cs_responded: datetime | None = None
    cs_account: CSAccount | None = None
    send_back: Handoff | None = None


@dataclass
class Login:
    username: str
    password: str
    role: str
    team: str


@dataclass
class DemoResult:
    logins: list[Login]
    counts: dict[str, int]


# ---------------------------------------------------------------------------------------------------------


@contextmanager
def check_constraints_left_to_the_database() -> Iterator[None]:
    """Skips the Python-side check of CHECK constraints in ``full_clean`` while the demo is built.

    Each check is a query over every field of the row (about 4 ms here), and the services' ``full_clean``
    calls make thousands of them; the database checks the same constraints again on every save, so a
    violation still fails the build (as an IntegrityError, rolling back everything). Unique constraints
    and every rule the services check themselves are unaffected.
    """
    original = CheckConstraint.validate
    CheckConstraint.validate = lambda self, model, instance, exclude=None, using=None: None
    try:
        yield
    finally:
        CheckConstraint.validate = original


def demo_exists() -> bool:
    return User.objects.filter(username__in=DEMO_MARKER_USERNAMES).exists()


@transaction.atomic
def demo_reset() -> None:
    """Deletes the pipeline's data, the demo users and the teams, children before the rows they protect.

    Superusers who are not demo users stay (without a team), so a developer's own login survives."""
    Handoff.objects.all().delete()
    CampaignEmailRequest.objects.all().delete()
    Activity.objects.all().delete()
    CSAccount.objects.all().delete()
    PhaseHistory.objects.all().delete()
    Opportunity.objects.exclude(revived_from=None).update(revived_from=None)
    Opportunity.objects.all().delete()
    TouchPoint.objects.all().delete()
    LeadRecycle.objects.all().delete()
    LeadEvent.objects.all().delete()
    Lead.objects.all().delete()
    Company.objects.all().delete()
    Campaign.objects.all().delete()
    Team.objects.update(manager=None)
    demo_usernames = [row[0] for row in STAFF] + ["admin"]
    keep = User.objects.filter(is_superuser=True).exclude(username__in=demo_usernames)
    keep.update(team=None)
    User.objects.exclude(pk__in=keep.values("pk")).delete()
    Team.objects.all().delete()
    for model in (Handoff, CSAccount, Opportunity, Lead):
        model.history.all().delete()


class Clock:
    """Business days and hours in the company's time zone, up to the story's "now" (midnight today)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.tz = timezone.get_default_timezone()
        self.today = timezone.localdate()
        self.now = self.at(self.today)

    def at(self, day: date, hours: float = 0.0) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.tz) + timedelta(hours=hours)

    def local(self, moment: datetime) -> datetime:
        return timezone.localtime(moment, self.tz)

    @staticmethod
    def workday(day: date) -> bool:
        return day.weekday() < 5

    def workdays(self, first: date, last: date) -> list[date]:
        days, day = [], first
        while day <= last:
            if self.workday(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def business_after(self, moment: datetime) -> datetime:
        """``moment`` if it falls in business hours, else a little after the next opening."""
        local = self.local(moment)
        day = local.date()
        if self.workday(day):
            if self.at(day, DAY_OPENS) <= local < self.at(day, DAY_CLOSES):
                return local
            if local < self.at(day, DAY_OPENS):
                return self.at(day, DAY_OPENS + self.rng.uniform(0, 1.5))
        day += timedelta(days=1)
        while not self.workday(day):
            day += timedelta(days=1)
        return self.at(day, DAY_OPENS + self.rng.uniform(0, 1.5))

    def business_between(self, low: datetime, high: datetime) -> datetime | None:
        """A random business-hours moment in [low, high), or None when there is none."""
        days = self.workdays(self.local(low).date(), self.local(high).date())
        for _ in range(4):
            if not days:
                return None
            day = self.rng.choice(days)
            start = max(low, self.at(day, DAY_OPENS))
            end = min(high, self.at(day, DAY_CLOSES))
            if start < end:
                return self.local(start + (end - start) * self.rng.random())
        return None

    def before(self, moment: datetime, minutes: int) -> datetime:
        """``minutes`` earlier, but not before that day's opening."""
        return max(moment - timedelta(minutes=minutes), self.at(self.local(moment).date(), DAY_OPENS))

    def later(self, moment: datetime, low_days: float, high_days: float) -> datetime:
        return self.business_after(moment + timedelta(days=self.rng.uniform(low_days, high_days)))


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _size_band(employees: int) -> str:
    for band, high in ((SizeBand.XS, 30), (SizeBand.S, 100), (SizeBand.M, 300), (SizeBand.L, 999)):
        if employees <= high:
            return band
    return SizeBand.XL


class DemoBuilder:
    def __init__(self, *, seed: int = 42, scale: float = 1.0, log: Callable[[str], None] = print):
        self.rng = random.Random(seed)
        self.scale = scale
        self.log_line = log
        self.clock = Clock(self.rng)
        self.started = wallclock.monotonic()
        # Common surnames are common: 佐藤 and 鈴木 come up far more often than 新井.
        self.surname_weights = [1 / math.sqrt(rank + 1) for rank in range(len(SURNAMES))]

    # -- helpers -------------------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        self.log_line(f"[{wallclock.monotonic() - self.started:5.1f}s] {message}")

    def scaled(self, count: float, minimum: int = 1) -> int:
        return max(minimum, round(count * self.scale))

    def pick(self, weights: dict):
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def person(self) -> tuple[tuple[str, str], tuple[str, str]]:
        surname = self.rng.choices(SURNAMES, weights=self.surname_weights)[0]
        return surname, self.rng.choice(GIVEN_NAMES)

    # -- the build -----------------------------------------------------------------------------------------

    def build(self) -> DemoResult:
        with transaction.atomic(), check_constraints_left_to_the_database():
            logins = self.build_org()
            self.build_campaigns()
            self.build_companies()
            self.plan_leads()
            self.insert_leads()
            self.move_leads()
            self.work_deals()
            self.backdate()
            self.build_activities()
            self.build_touch_points()
            self.build_marketing_feedback()
            self.catch_up_history()
        counts = self.counts()
        self.log("done")
        return DemoResult(logins=logins, counts=counts)

    # -- organisation --------------------------------------------------------------------------------------

    def build_org(self) -> list[Login]:
        self.teams = {}
        for key, name, kind, placement, segment in TEAMS:
            self.teams[key] = Team.objects.create(name=name, kind=kind, placement=placement, segment=segment)
        self.users: dict[str, User] = {}
        for username, role, team_key, last_name, first_name, romaji in STAFF:
            self.users[username] = user_create(
                username=username,
                password=None,
                role=role,
                team=self.teams[team_key] if team_key else None,
                last_name=last_name,
                first_name=first_name,
                email=f"{romaji}@{STAFF_EMAIL_DOMAIN}",
            )
        admin = user_create(
            username="admin",
            password=None,
            role=User.Role.ADMIN,
            last_name="管理者",
            email=f"admin@{STAFF_EMAIL_DOMAIN}",
            is_superuser=True,
        )
        # One hash per password instead of one per user: at the default PBKDF2 cost, 27 hashes would add
        # a quarter of a minute to the build.
        User.objects.filter(pk__in=[u.pk for u in self.users.values()]).update(password=make_password(DEMO_PASSWORD))
        User.objects.filter(pk=admin.pk).update(password=make_password(ADMIN_PASSWORD))
        for manager, keys in MANAGED_TEAMS.items():
            Team.objects.filter(pk__in=[self.teams[k].pk for k in keys]).update(manager=self.users[manager])

        def members(team_key: str) -> list[User]:
            return [u for u in self.users.values() if u.team_id == self.teams[team_key].pk]

        self.sdr, self.bdr, self.recyclers = members("sdr"), members("bdr"), members("recycle")
        self.fs_teams = {"fs_smb": members("fs_smb"), "fs_ent": members("fs_ent")}
        self.fs_reps = self.fs_teams["fs_smb"] + self.fs_teams["fs_ent"]
        self.cs_reps = members("cs")
        self.marketer = self.users["mkt01"]
        self.log(f"teams: {len(self.teams)}, users: {len(self.users) + 1}")

        team_names = {t.pk: t.name for t in self.teams.values()}
        logins = [Login("admin", ADMIN_PASSWORD, User.Role.ADMIN.label, "—")]
        for username, role, *_rest in STAFF:
            user = self.users[username]
            if role == User.Role.MANAGER:
                team = " / ".join(self.teams[k].name for k in MANAGED_TEAMS[username]) + " (manager)"
            else:
                team = team_names[user.team_id]
            logins.append(Login(username, DEMO_PASSWORD, User.Role(role).label, team))
        return logins

    # -- marketing -----------------------------------------------------------------------------------------

    def build_campaigns(self) -> None:
        self.sources = {s.code: s for s in LeadSource.objects.all()}
        self.campaigns: dict[str, list[Campaign]] = defaultdict(list)
        today = self.clock.today
        seasons = {12: "冬", 1: "冬", 2: "冬", 3: "春", 4: "春", 5: "春", 6: "夏", 7: "夏", 8: "夏"}
        rows = []
        for source, template, first, last in CAMPAIGNS:
            if source not in self.sources:
                continue
            starts, ends = today + timedelta(days=first), today + timedelta(days=last)
            name = template.format(
                year=starts.year,
                season=seasons.get(starts.month, "秋"),
                fiscal_year=starts.year if starts.month >= 4 else starts.year - 1,
                half="上期" if 4 <= starts.month <= 9 else "下期",
            )
            rows.append(Campaign(name=name, source=self.sources[source], starts_on=starts, ends_on=ends))
        for campaign in Campaign.objects.bulk_create(rows):
            self.campaigns[campaign.source.code].append(campaign)
        self.log(f"campaigns: {len(rows)}")

    # -- companies -----------------------------------------------------------------------------------------

    def build_companies(self) -> None:
        industries = {i.code: i for i in Industry.objects.all()}
        prefecture_codes = [code for code, *_rest in PREFECTURES]
        prefecture_weights = [PREFECTURE_WEIGHTS.get(code, PREFECTURE_WEIGHTS_OTHER) for code in prefecture_codes]
        industry_codes = [code for code in INDUSTRY_WEIGHTS if code in industries] or list(industries)
        taken_slugs: set[str] = set()
        companies = []
        for _ in range(self.scaled(3000, minimum=20)):
            low, high, _share = self.rng.choices(SIZE_MIX, weights=[s[2] for s in SIZE_MIX])[0]
            employees = int(math.exp(self.rng.uniform(math.log(low), math.log(high + 1))))
            employees = min(max(employees, low), high)
            prefecture = self.rng.choices(prefecture_codes, weights=prefecture_weights)[0]
            industry = self.rng.choices(industry_codes, weights=[INDUSTRY_WEIGHTS.get(c, 1) for c in industry_codes])[0]
            name, slug = self.company_name(industry, prefecture, employees, taken_slugs)
            companies.append(
                Company(
                    name=name,
                    industry=industries.get(industry),
                    employee_count=employees,
                    prefecture=prefecture,
                    website=f"https://www.{slug}.example.jp",
                    phone=self.landline(prefecture),
                    name_key=company_key(name),
                )
            )
        for company in companies[:: max(1, len(companies) // 20)]:
            company.full_clean(exclude=["industry"])
        self.companies = Company.objects.bulk_create(companies, batch_size=500)
        self.slugs = {company.pk: company.website.split("//www.")[1] for company in self.companies}
        self.log(f"companies: {len(self.companies)}")

    def company_name(self, industry: str, prefecture: str, employees: int, taken: set[str]) -> tuple[str, str]:
        for attempt in range(60):
            core, core_romaji = self.rng.choice(COMPANY_CORES)
            if self.rng.random() < 0.25 or attempt > 20:
                region, region_romaji = self.rng.choice(REGION_WORDS[AREA_OF[prefecture]])
                core, core_romaji = region + core, f"{region_romaji}-{core_romaji}"
            special = SPECIAL_FORMS.get(industry, [])
            roll, form = self.rng.random(), None
            for template, romaji, share in special:
                if roll < share:
                    form = (template, romaji)
                    break
                roll -= share
            if form is not None:
                name, slug = form[0].format(core=core), f"{core_romaji}-{form[1]}"
            else:
                suffix, suffix_romaji = self.rng.choice(INDUSTRY_NAMES.get(industry, INDUSTRY_NAMES["services"]))
                body, slug = core + suffix, f"{core_romaji}-{suffix_romaji}"
                roll = self.rng.random()
                if employees <= 30 and roll < 0.06:
                    name = f"有限会社{body}"
                elif industry == "it" and employees <= 100 and roll < 0.12:
                    name = f"合同会社{body}"
                elif roll < 0.55:
                    name = f"株式会社{body}"
                else:
                    name = f"{body}株式会社"
            if slug not in taken:
                taken.add(slug)
                return name, slug
        # Only a huge --scale exhausts the combinations; a branch number keeps names and domains unique.
        number = len(taken)
        taken.add(f"{slug}-{number}")
        return f"{name}（{number}）", f"{slug}-{number}"

    def landline(self, prefecture: str) -> str:
        area = AREA_CODES[prefecture]
        local_digits = 10 - len(area) - 4
        exchange = self.rng.randint(10 ** (local_digits - 1) * 2, 10**local_digits - 1)
        return f"{area}-{exchange}-{self.rng.randint(0, 9999):04d}"

    def mobile(self) -> str:
        prefix = self.rng.choice(["090", "080", "070"])
        return f"{prefix}-{self.rng.randint(1000, 9999)}-{self.rng.randint(0, 9999):04d}"

    # -- leads: the plan -----------------------------------------------------------------------------------

    def plan_leads(self) -> None:
        clock = self.clock
        services = list(Service.objects.filter(is_active=True))
        self.services = {s.code: s for s in services}
        target = self.scaled(4500, minimum=30)
        per_company = [self.rng.choices([1, 2, 3], weights=[60, 30, 10])[0] for _ in self.companies]
        self.plans: list[LeadPlan] = []
        first_day = clock.today - timedelta(days=DAYS_OF_HISTORY)
        for company, count in zip(self.companies, per_company, strict=True):
            if len(self.plans) >= target:
                break
            band = _size_band(company.employee_count)
            primary = self.pick(SOURCE_WEIGHTS)
            if primary == "target_account" and band in (SizeBand.XS, SizeBand.S):
                primary = "house_list"
            for _ in range(count):
                source_code = primary if self.rng.random() < 0.8 else self.pick(SOURCE_WEIGHTS)
                if source_code not in self.sources:
                    source_code = next(iter(self.sources))
                self.plans.append(self.plan_lead(company, source_code, first_day, services))
        for plan in self.plans:
            self.plan_fate(plan)
        self.ensure_every_fate()
        fates = Counter(plan.fate for plan in self.plans)
        self.log(f"leads planned: {len(self.plans)} " + ", ".join(f"{k} {v}" for k, v in sorted(fates.items())))

    def plan_lead(self, company: Company, source_code: str, first_day: date, services: list[Service]) -> LeadPlan:
        clock, rng = self.clock, self.rng
        source = self.sources[source_code]
        inbound = source_code in INBOUND_SOURCES or source_code not in SOURCE_WEIGHTS
        campaign = None
        candidates = [
            c
            for c in self.campaigns.get(source_code, [])
            if c.ends_on + timedelta(days=CAMPAIGN_TAIL_DAYS) >= first_day
        ]
        if candidates and rng.random() < CAMPAIGN_SHARE.get(source_code, 0.5):
            campaign = rng.choice(candidates)
            low = max(first_day, campaign.starts_on)
            high = min(clock.today - timedelta(days=1), campaign.ends_on + timedelta(days=CAMPAIGN_TAIL_DAYS))
            day = low + timedelta(days=rng.randint(0, max(0, (high - low).days)))
        else:
            day = first_day + timedelta(days=rng.randint(0, DAYS_OF_HISTORY - 1))
        imported = source_code in IMPORTED_SOURCES
        if imported:
            while not clock.workday(day):
                day -= timedelta(days=1)
            created = clock.at(day, rng.uniform(10, 18))
        else:
            created = clock.at(day, rng.uniform(7, 23.5))
        created = min(created, clock.now - timedelta(minutes=rng.randint(5, 300)))

        (surname, surname_romaji), (given, given_romaji) = self.person()
        title = rng.choices(TITLES, weights=[35, 15, 20, 20, 10 if company.employee_count > 30 else 40])[0]
        department = "" if title == "代表取締役" else rng.choices(DEPARTMENTS, weights=DEPARTMENT_WEIGHTS)[0]
        domain = self.slugs[company.pk]
        local_part = rng.choice(
            [f"{given_romaji}.{surname_romaji}", f"{surname_romaji}", f"{given_romaji[0]}-{surname_romaji}"]
        )
        # Half give the switchboard, some a mobile, the rest a direct line.
        roll = rng.random()
        if roll < 0.5:
            phone = company.phone
        elif roll < 0.7:
            phone = self.mobile()
        else:
            phone = self.landline(company.prefecture)

        age = (clock.now - created).total_seconds() / 86400
        team = self.teams["sdr"] if inbound else self.teams["bdr"]
        reps = self.sdr if inbound else self.bdr
        owner = None if rng.random() < (0.3 if age < 5 else 0.015) else rng.choice(reps)
        lead = Lead(
            company=company,
            last_name=surname,
            first_name=given,
            department=department,
            title=title,
            email=f"{local_part}@{domain}",
            phone=phone,
            phone_key=phone_key(phone),
            source=source,
            campaign=campaign,
            origin=Origin.INBOUND if inbound else Origin.OUTBOUND,
            team=team,
            owner=owner,
            status=Lead.Status.NEW,
            next_approach_on=self.asset_day(created if age < 7 else None),
        )
        return LeadPlan(
            lead=lead,
            owner=owner,
            importer=self.marketer if imported else None,
            created_at=created,
            service=rng.choice(services),
        )

    def asset_day(self, arrived: datetime | None = None) -> date:
        """The next approach date of an open lead: a new one is due the day it arrived; the rest spread
        over a few overdue days and the coming month, most of them soon."""
        if arrived is not None:
            return self.clock.local(arrived).date()
        roll = self.rng.random()
        if roll < 0.15:
            offset = -self.rng.randint(1, 4)
        elif roll < 0.3:
            offset = 0
        elif roll < 0.7:
            offset = self.rng.randint(1, 7)
        else:
            offset = self.rng.randint(8, 30)
        return self.clock.today + timedelta(days=offset)

    def plan_fate(self, plan: LeadPlan) -> None:
        if plan.owner is None:
            return
        age = (self.clock.now - plan.created_at).total_seconds() / 86400
        p_new = 0.85 if age < 2 else 0.45 if age < 5 else 0.15 if age < 10 else 0.04
        if self.rng.random() < p_new:
            return
        fate = self.pick(
            {
                "working": 55,
                "recycled": 7,
                "revived": 6,  # about a third do not come due before today and stay recycled
                "revived_sql": 1.2,
                "nurturing": 5,
                "disqualified": 5,
                "qualified": 6.5,
            }
        )
        for candidate in (fate, "recycled" if fate.startswith("revived") else "working", "working"):
            if self.try_fate(plan, candidate):
                return

    def try_fate(self, plan: LeadPlan, fate: str) -> bool:
        """Sets the lead's timeline for ``fate`` if it fits before now; leaves the plan alone if not."""
        clock, rng = self.clock, self.rng
        now = clock.now
        inbound = plan.lead.origin == Origin.INBOUND
        lag = timedelta(minutes=rng.lognormvariate(math.log(40), 1.0)) if inbound else timedelta(days=rng.uniform(0, 4))
        first = clock.business_after(plan.created_at + lag)
        if first >= now - timedelta(hours=1):
            return False
        if fate == "working":
            plan.fate, plan.first_touch = fate, first
            plan.segments = [(plan.owner, first, now)]
            return True
        closed = clock.business_after(first + timedelta(days=min(rng.expovariate(1 / 10), 45) + 0.05))
        if closed >= now:
            closed = clock.business_between(first + timedelta(hours=1), now)
        if closed is None:
            return False
        revived = qualified = None
        reviver = rng.choice(self.recyclers) if fate.startswith("revived") else None
        if fate.startswith("revived"):
            revived = clock.later(closed, 7, 40)
            if revived >= now - timedelta(hours=2):
                return False
        if fate == "revived_sql":
            qualified = clock.later(revived, 1, 15)
            if qualified >= now:
                return False
        plan.fate, plan.first_touch, plan.closed = fate, first, closed
        plan.revived, plan.qualified, plan.reviver = revived, qualified, reviver
        if fate == "revived":
            plan.segments = [(plan.owner, first, closed), (reviver, revived, now)]
        elif fate == "revived_sql":
            plan.segments = [(plan.owner, first, closed), (reviver, revived, qualified)]
        else:
            plan.segments = [(plan.owner, first, closed)]
        return True

    def ensure_every_fate(self) -> None:
        """A small --scale can leave a status empty; every status should have a lead to click on."""
        wanted = {"working": 2, "recycled": 2, "nurturing": 2, "disqualified": 2, "qualified": 3, "revived": 1}
        for fate, minimum in wanted.items():
            missing = minimum - sum(1 for p in self.plans if p.fate == fate)
            for plan in self.plans:
                if missing <= 0:
                    break
                if plan.fate == "working" and self.try_fate(plan, fate):
                    missing -= 1
        if not any(p.fate == "new" for p in self.plans):
            for plan in self.plans[-2:]:
                plan.fate, plan.segments = "new", []

    # -- leads: the rows -----------------------------------------------------------------------------------

    def insert_leads(self) -> None:
        for plan in self.plans:
            if plan.fate == "working":
                plan.lead.next_approach_on = self.asset_day()
        for plan in self.plans[:: max(1, len(self.plans) // 25)]:
            plan.lead.full_clean(exclude=["company", "source", "campaign", "team", "owner", "recycle_reason"])
        leads = bulk_create_with_history([p.lead for p in self.plans], Lead, batch_size=500)
        for plan, lead in zip(self.plans, leads, strict=True):
            plan.lead = lead
            lead.created_at = plan.created_at
        Lead.objects.bulk_update(leads, ["created_at"], batch_size=500)
        self.first_lead_pk = min(lead.pk for lead in leads)
        LeadEvent.objects.bulk_create(
            [
                LeadEvent(
                    lead=plan.lead,
                    kind=LeadEvent.Kind.CREATED,
                    to_status=Lead.Status.NEW,
                    to_owner=plan.owner,
                    actor=plan.importer,
                )
                for plan in self.plans
            ],
            batch_size=500,
        )
        # The "created" rows take their lead's arrival time in one statement.
        LeadEvent.objects.filter(kind=LeadEvent.Kind.CREATED, lead_id__gte=self.first_lead_pk).update(
            at=Subquery(Lead.objects.filter(pk=OuterRef("lead_id")).values("created_at")[:1])
        )
        Company.objects.filter(pk__gte=min(c.pk for c in self.companies)).update(
            created_at=Coalesce(
                Subquery(
                    Lead.objects.filter(company=OuterRef("pk"))
                    .order_by()
                    .values("company")
                    .annotate(first=Min("created_at"))
                    .values("first")
                ),
                F("created_at"),
            )
        )
        self.log(f"leads: {len(leads)}")

    # -- leads: the moves, through the services ------------------------------------------------------------

    def move_leads(self) -> None:
        self.reasons = {r.code: r for r in RecycleReason.objects.filter(is_active=True)}
        self.deals: list[DealPlan] = []
        moved = 0
        for plan in self.plans:
            if plan.fate == "new":
                continue
            lead, owner = plan.lead, plan.owner
            lead = lead_start_working(lead=lead, actor=owner)
            plan.steps.append(plan.first_touch)
            if plan.fate == "nurturing":
                lead = lead_nurture(
                    lead=lead,
                    actor=owner,
                    reason=self.rng.choice(NURTURE_REASONS),
                    next_approach_on=self.clock.today + timedelta(days=self.rng.randint(21, 120)),
                )
                plan.steps.append(plan.closed)
            elif plan.fate == "disqualified":
                lead = lead_disqualify(lead=lead, actor=owner, reason=self.rng.choice(DISQUALIFY_REASONS))
                plan.steps.append(plan.closed)
            elif plan.fate == "recycled":
                lead = self.recycle(plan, lead, owner)
            elif plan.fate == "qualified":
                lead = self.qualify(plan, lead, owner, plan.closed)
            elif plan.fate in ("revived", "revived_sql"):
                lead = self.recycle(plan, lead, owner, to=plan.reviver)
                lead = lead_start_working(lead=lead, actor=plan.reviver)
                plan.steps.append(plan.revived)
                if plan.fate == "revived_sql":
                    lead = self.qualify(plan, lead, plan.reviver, plan.qualified)
            plan.lead = lead
            moved += 1
        self.log(f"lead moves through the services: {moved} leads, {len(self.deals)} SQLs")

    def recycle(self, plan: LeadPlan, lead: Lead, actor: User, to: User | None = None) -> Lead:
        rng, today = self.rng, self.clock.today
        code = self.pick({k: v for k, v in RECYCLE_REASON_WEIGHTS.items() if k in self.reasons})
        kwargs = {}
        if to is not None:
            kwargs = {"team": self.teams["recycle"], "assignee": to}
        else:
            roll = rng.random()
            if roll < 0.25:
                kwargs = {"team": self.teams["recycle"]}
            elif roll < 0.45:
                kwargs = {"team": self.teams["recycle"], "assignee": rng.choice(self.recyclers)}
        if to is not None or rng.random() < 0.5:
            kwargs["approach_on"] = today + timedelta(days=rng.randint(7, 150))
        else:
            year, month = _add_months(today, rng.randint(1, 5))
            kwargs.update(year=year, month=month, week=rng.randint(1, weeks_in_month(year, month)))
        lead = lead_recycle(
            lead=lead,
            actor=actor,
            reason=self.reasons[code],
            method=self.pick({m: w for m, w in RECYCLE_METHOD_WEIGHTS.items() if m in LeadRecycle.Method.values}),
            note=RECYCLE_NOTES.get(code, ""),
            **kwargs,
        )
        plan.steps.append(plan.closed)
        plan.recycles.append(plan.closed)
        return lead

    def bant(self, company: Company, service: Service, temperature: str, department: str = "") -> dict[str, str]:
        """What a rep hears, trimmed to what ``temperature`` says was heard."""
        rng = self.rng
        employees = company.employee_count or 50
        yearly = max(30, round(employees * UNIT_PRICES.get(service.code, 400) * 12 / 10000 / 10) * 10)
        surname = self.person()[0][0]
        full = {
            "budget": rng.choice(BUDGETS).format(n=yearly, m=max(3, yearly // 12)),
            "authority": rng.choice(AUTHORITIES).format(dept=department or "管理部", sur=surname),
            "needs": rng.choice(SERVICE_NEEDS.get(service.code, SERVICE_NEEDS["attendance"])),
            "timeframe": rng.choice(TIMEFRAMES).format(month=rng.choice([1, 4, 7, 10])),
        }
        if temperature == Temperature.B:
            for item in rng.choice([("budget",), ("timeframe",), ("budget", "timeframe")]):
                full[item] = ""
        elif temperature == Temperature.C:
            full.update(authority="", budget="")
            if rng.random() < 0.5:
                full["timeframe"] = ""
        return full

    def qualify(self, plan: LeadPlan, lead: Lead, actor: User, at: datetime) -> Lead:
        rng = self.rng
        temperature = rng.choices([Temperature.A, Temperature.B, Temperature.C], weights=[35, 45, 20])[0]
        heard = self.bant(lead.company, plan.service, temperature, lead.department)
        lead = lead_update_bant(lead=lead, actor=actor, meeting_agreed=temperature == Temperature.C, **heard)
        plan.heard = self.clock.before(at, rng.randint(5, 25))
        plan.steps.append(plan.heard)
        to_user = self.fs_rep_for(lead.company)
        count, limit = fs_capacity_status(user=to_user, size_band=lead.company.size_band)
        override = ""
        if limit is not None and count >= limit:
            override = "既存顧客からの紹介で、商談経緯を知る担当が継続対応するため"
        employees = lead.company.employee_count or 0
        handoff = handoff_create_sql(
            lead=lead,
            actor=actor,
            to_user=to_user,
            heard=(
                f"{heard['needs']}。現在は{rng.choice(CURRENT_TOOLS)}で運用。"
                f"{lead.department or '経営層'}の{lead.last_name}様（{lead.title}）が窓口で、従業員{employees}名規模。"
            ),
            why_now=rng.choice(WHY_NOW).format(n=max(50, employees // 50 * 50)),
            decision_process=(heard["authority"] or "決裁者は未確認（初回商談で確認）") + "。比較は2〜3社の予定。",
            to_confirm="、".join(rng.sample(TO_CONFIRM, 2)),
            service=plan.service,
            capacity_override_reason=override,
        )
        plan.steps.append(at)
        self.deals.append(
            DealPlan(
                opportunity=handoff.opportunity,
                owner=to_user,
                opened=at,
                lead_plan=plan,
                sql_handoff=handoff,
                history=[at],
            )
        )
        return handoff.lead

    def fs_rep_for(self, company: Company) -> User:
        """FS SMB takes up to 300 employees and FS Enterprise the rest; about one in eight goes across."""
        home = "fs_smb" if _size_band(company.employee_count) in (SizeBand.XS, SizeBand.S, SizeBand.M) else "fs_ent"
        if self.rng.random() < 0.12:
            home = "fs_ent" if home == "fs_smb" else "fs_smb"
        reps = self.fs_teams[home]
        return self.rng.choices(reps, weights=[FS_WEIGHTS.get(r.username, 1.0) for r in reps])[0]

    # -- deals ---------------------------------------------------------------------------------------------

    def work_deals(self) -> None:
        self.phases = {p.code: p for p in Phase.objects.all()}
        self.lost_reasons = {r.code: r for r in LostReason.objects.all()}
        now, rng, clock = self.clock.now, self.rng, self.clock
        for deal in self.deals:
            handoff = deal.sql_handoff
            age = now - deal.opened
            if age < timedelta(days=1.5) and rng.random() < 0.7:
                continue
            responded = clock.business_after(deal.opened + timedelta(hours=rng.uniform(1, 30)))
            if responded >= now:
                continue
            deal.responded = responded
            if rng.random() < 0.045:
                handoff_reject(handoff=handoff, actor=deal.owner, reason=rng.choice(REJECT_REASONS))
                deal.history.append(responded)
                deal.closed = responded
                deal.lead_plan.steps.append(responded)
                continue
            handoff_accept(handoff=handoff, actor=deal.owner)
            self.walk(deal, responded)

        sgl = []
        # A sales-generated deal opens on a company already in the database, after it first came in.
        first_seen: dict[int, datetime] = {}
        for plan in self.plans:
            company_id = plan.lead.company_id
            first_seen[company_id] = min(first_seen.get(company_id, plan.created_at), plan.created_at)
        known = [c for c in self.companies if c.pk in first_seen]
        long_known = [c for c in known if first_seen[c.pk] <= now - timedelta(days=60)] or known
        for index in range(self.scaled(30, minimum=4)):
            forced = index < FORCED_WINS
            owner = self.rng.choice(self.fs_reps)
            # FS prospects bigger accounts than the average inbound lead.
            pool = long_known if forced else known
            sample = rng.sample(pool, min(8, len(pool)))
            company = max(sample, key=lambda c: c.employee_count) if rng.random() < 0.5 else sample[0]
            service = rng.choice(list(self.services.values()))
            earliest, latest = (110, 60) if forced else (120, 0.2)
            opened = clock.business_between(
                max(now - timedelta(days=earliest), first_seen[company.pk]), now - timedelta(days=latest)
            ) or clock.business_between(first_seen[company.pk], now - timedelta(hours=4))
            if opened is None:
                continue
            opportunity = opportunity_create(
                actor=owner,
                company=company,
                owner=owner,
                origin=Opportunity.Origin.SGL,
                name=f"{company.name} / {service.name_ja}",
                next_action_on=clock.today + timedelta(days=3),
                service=service,
            )
            deal = DealPlan(opportunity=opportunity, owner=owner, opened=opened, history=[opened])
            self.deals.append(deal)
            sgl.append(deal)
            self.walk(deal, clock.business_after(opened + timedelta(hours=rng.uniform(1, 48))), forced=forced)
        status = Counter(
            Opportunity.objects.filter(pk__in=[d.opportunity.pk for d in self.deals]).values_list("status", flat=True)
        )
        self.log(
            f"deals: {len(self.deals)} ({len(sgl)} SGL); " + ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
        )

    def walk(self, deal: DealPlan, start: datetime, forced: bool = False) -> None:
        """Moves a deal through the phases while there is time before now, stopping, losing or sending it
        back on the way as real deals do."""
        rng, clock, now = self.rng, self.clock, self.clock.now
        moment = start
        opportunity = deal.opportunity
        for code in ("02", "03", "04", "05W"):
            if not forced and rng.random() >= PHASE_GO_ON[code]:
                self.stop(deal, moment, reached=code)
                return
            low, high = PHASE_GAPS[code]
            if forced:
                high = low + (high - low) * 0.3
            step = clock.later(moment, low, high)
            if step >= now:
                deal.stalls = rng.random() < 0.3
                return
            moment = step
            if code == "05W":
                deal.cs_account = opportunity_win(
                    opportunity=opportunity,
                    actor=deal.owner,
                    amount=opportunity.amount,
                    contract_on=moment.date(),
                    cs_owner=rng.choice(self.cs_reps),
                )
                deal.moves.append((code, moment))
                deal.history.append(moment)
                deal.closed = moment
                deal.cs_handoff = Handoff.objects.get(opportunity=opportunity, kind=Handoff.Kind.FS_TO_CS)
                accepted = clock.business_after(moment + timedelta(hours=rng.uniform(2, 48)))
                if accepted < now:
                    handoff_accept(handoff=deal.cs_handoff, actor=deal.cs_account.owner)
                    deal.cs_responded = accepted
                cs_account_update(
                    account=deal.cs_account,
                    actor=deal.cs_account.owner,
                    data={
                        "success_definition": rng.choice(SUCCESS_DEFINITIONS),
                        "health": self.pick(HEALTH_WEIGHTS),
                        "expansion_notes": rng.choice(EXPANSION_NOTES),
                    },
                )
                return
            opportunity = opportunity_move(
                opportunity=opportunity,
                to_phase=self.phases[code],
                actor=deal.owner,
                changes=self.gate(deal, code, moment),
            )
            deal.opportunity = opportunity
            deal.moves.append((code, moment))
            deal.history.append(moment)
            if code == "02" and deal.sql_handoff is not None and rng.random() < 0.75:
                given = clock.business_after(moment + timedelta(hours=rng.uniform(1, 72)))
                if given < now:
                    verdict = self.pick(FEEDBACK_WEIGHTS)
                    handoff_feedback(
                        handoff=deal.sql_handoff,
                        actor=deal.owner,
                        feedback=verdict,
                        reason="" if verdict == Handoff.Feedback.YES else rng.choice(FEEDBACK_REASONS),
                    )
                    deal.feedback_at = given

    def stop(self, deal: DealPlan, moment: datetime, reached: str) -> None:
        rng, now = self.rng, self.clock.now
        roll = rng.random()
        if roll < 0.45:
            lost = self.clock.later(moment, 5, 35)
            if lost < now:
                code = self.pick({k: v for k, v in LOST_REASON_WEIGHTS.items() if k in self.lost_reasons})
                deal.opportunity = opportunity_close_lost(
                    opportunity=deal.opportunity,
                    actor=deal.owner,
                    reason=self.lost_reasons[code],
                    note=LOST_NOTES[code],
                )
                deal.history.append(lost)
                deal.closed = lost
                return
        elif roll < 0.55 and deal.lead_plan is not None and reached != "02":
            back = self.clock.later(moment, 20, 50)
            if back < now and "no_authority" in self.reasons:
                reason = rng.choice(SEND_BACK_REASONS)
                recycle_reason = self.reasons[rng.choice(["no_authority", "unreachable", "timing"])]
                approach_on = self.clock.today + timedelta(days=rng.randint(14, 90))
                deal.history.append(back)
                deal.closed = back
                try:
                    with transaction.atomic():
                        deal.send_back = opportunity_send_back(
                            opportunity=deal.opportunity,
                            actor=deal.owner,
                            reason=reason,
                            recycle_reason=recycle_reason,
                            approach_on=approach_on,
                        )
                except NotSupportedError:
                    # The service locks the deal joined to its nullable lead, which PostgreSQL refuses ("FOR
                    # UPDATE cannot be applied to the nullable side of an outer join"). Until that is fixed the
                    # deal is lost instead, with nothing drawn from the seed differently.
                    deal.opportunity = opportunity_close_lost(
                        opportunity=deal.opportunity,
                        actor=deal.owner,
                        reason=self.lost_reasons["no_decision"],
                        note=reason,
                    )
                    return
                deal.lead_plan.steps.append(back)
                deal.lead_plan.recycles.append(back)
                return
        deal.stalls = rng.random() < 0.5

    def gate(self, deal: DealPlan, code: str, moment: datetime) -> dict:
        """What the FS rep fills in to pass the gate of phase ``code``."""
        rng = self.rng
        opportunity = deal.opportunity
        employees = opportunity.company.employee_count or 50
        if code == "02":
            return {
                "first_meeting_on": moment.date(),
                "first_meeting_attendees": rng.randint(1, 2 if employees <= 100 else 5),
            }
        if code == "03":
            service = opportunity.service or rng.choice(list(self.services.values()))
            seats = max(5, round(employees * rng.uniform(0.5, 1.0)))
            yearly = seats * UNIT_PRICES.get(service.code, 400) * 12 + rng.randint(10, 50) * 10000
            changes = {"service": service, "quantity": seats, "amount": max(200000, round(yearly, -4))}
            # FS hears in the meetings whatever IS could not: the gate wants BANT complete.
            heard = self.bant(opportunity.company, service, Temperature.A)
            for item, text in heard.items():
                if not getattr(opportunity, f"bant_{item}").strip():
                    changes[f"bant_{item}"] = text
            return changes
        if code == "04":
            (surname, _romaji), _given = self.person()
            role = rng.choice(["代表取締役", "取締役 管理本部長", "人事部長", "経理部長"])
            return {
                "expected_close_on": moment.date() + timedelta(days=rng.randint(14, 45)),
                "decision_maker": f"{role} {surname}様",
            }
        return {}

    # -- timestamps ----------------------------------------------------------------------------------------

    def backdate(self) -> None:
        """Moves the services' "now" stamps to when each step happened in the story."""
        plan_of = {plan.lead.pk: plan for plan in self.plans if plan.steps}
        events = []
        current, previous, queue = None, None, []
        for pk, lead_id, kind in (
            LeadEvent.objects.filter(lead_id__in=list(plan_of))
            .exclude(kind=LeadEvent.Kind.CREATED)
            .order_by("lead_id", "id")
            .values_list("pk", "lead_id", "kind")
            .iterator()
        ):
            if lead_id != current:
                current, queue, previous = lead_id, list(plan_of[lead_id].steps), None
            # An owner change is written right after the status change it belongs to.
            at = previous if kind == LeadEvent.Kind.OWNER and previous else (queue.pop(0) if queue else previous)
            previous = at
            events.append(LeadEvent(pk=pk, at=at))
        LeadEvent.objects.bulk_update(events, ["at"], batch_size=500)

        pending, came_due = [], []
        current, queue = None, []
        for pk, lead_id in (
            LeadRecycle.objects.filter(lead_id__in=list(plan_of)).order_by("lead_id", "id").values_list("pk", "lead_id")
        ):
            if lead_id != current:
                current, queue = lead_id, list(plan_of[lead_id].recycles)
            plan = plan_of[lead_id]
            at = queue.pop(0) if queue else plan.closed
            if plan.revived is not None and at == plan.closed:
                # The plan came due: the day it named is the day the recycle group picked the lead up.
                came_due.append(LeadRecycle(pk=pk, created_at=at, approach_on=self.clock.local(plan.revived).date()))
            else:
                pending.append(LeadRecycle(pk=pk, created_at=at))
        LeadRecycle.objects.bulk_update(pending, ["created_at"], batch_size=500)
        LeadRecycle.objects.bulk_update(came_due, ["created_at", "approach_on"], batch_size=500)
        recycles = pending + came_due
        revived_leads = [
            Lead(pk=plan.lead.pk, next_approach_on=self.asset_day()) for plan in self.plans if plan.fate == "revived"
        ]
        Lead.objects.bulk_update(revived_leads, ["next_approach_on"], batch_size=500)

        history = []
        deal_of = {deal.opportunity.pk: deal for deal in self.deals}
        current, queue = None, []
        for pk, opportunity_id in (
            PhaseHistory.objects.filter(opportunity_id__in=list(deal_of))
            .order_by("opportunity_id", "id")
            .values_list("pk", "opportunity_id")
        ):
            if opportunity_id != current:
                current, queue = opportunity_id, list(deal_of[opportunity_id].history)
            history.append(PhaseHistory(pk=pk, at=queue.pop(0) if queue else deal_of[opportunity_id].history[-1]))
        PhaseHistory.objects.bulk_update(history, ["at"], batch_size=500)

        opportunities, handoffs = [], []
        for deal in self.deals:
            is_open = deal.closed is None
            opportunities.append(
                Opportunity(
                    pk=deal.opportunity.pk,
                    created_at=deal.opened,
                    phase_entered_at=deal.history[-1],
                    closed_at=deal.closed,
                    next_action_on=self.clock.today + timedelta(days=self.rng.randint(-10, 14))
                    if is_open
                    else deal.opportunity.next_action_on,
                    next_action=self.rng.choice(NEXT_ACTIONS) if is_open else "",
                )
            )
            if deal.sql_handoff is not None:
                handoffs.append(
                    Handoff(
                        pk=deal.sql_handoff.pk,
                        created_at=deal.opened,
                        responded_at=deal.responded,
                        feedback_at=deal.feedback_at,
                    )
                )
            if deal.cs_handoff is not None:
                handoffs.append(
                    Handoff(
                        pk=deal.cs_handoff.pk, created_at=deal.closed, responded_at=deal.cs_responded, feedback_at=None
                    )
                )
            if deal.send_back is not None:
                handoffs.append(
                    Handoff(pk=deal.send_back.pk, created_at=deal.closed, responded_at=None, feedback_at=None)
                )
        Opportunity.objects.bulk_update(
            opportunities,
            ["created_at", "phase_entered_at", "closed_at", "next_action_on", "next_action"],
            batch_size=300,
        )
        Handoff.objects.bulk_update(handoffs, ["created_at", "responded_at", "feedback_at"], batch_size=300)
        accounts = [
            CSAccount(pk=deal.cs_account.pk, created_at=deal.closed)
            for deal in self.deals
            if deal.cs_account is not None
        ]
        CSAccount.objects.bulk_update(accounts, ["created_at"], batch_size=300)
        self.log(
            f"backdated: {len(events)} lead events, {len(recycles)} recycles, {len(history)} phase changes, "
            f"{len(handoffs)} handoffs"
        )

    def catch_up_history(self) -> None:
        """The story backdates and rolls up with update(): one more snapshot per record it changed that way
        keeps every record's history ending in its current values."""
        for model in (Lead, Opportunity, Handoff, CSAccount):
            history_catch_up(model, reason="demo")

    # -- activities ----------------------------------------------------------------------------------------

    def build_activities(self) -> None:
        self.outcomes = dict(CallOutcome.objects.values_list("code", "pk"))
        rows: list[Activity] = []
        windows: dict[int, list[tuple[LeadPlan, datetime, datetime, date, date]]] = defaultdict(list)
        for plan in self.plans:
            for rep, start, end in plan.segments:
                span = (self.clock.local(start).date(), self.clock.local(end).date())
                windows[rep.pk].append((plan, start, end, *span))
                rows.append(self.call(rep, plan, start, first=True))
            if plan.heard is not None:
                rep = plan.reviver if plan.fate == "revived_sql" else plan.owner
                booked = self.clock.before(plan.heard, self.rng.randint(5, 40))
                booked = max(plan.segments[-1][1] + timedelta(minutes=1), booked)
                rows.append(self.call(rep, plan, booked, outcome="appointment"))
        days = self.clock.workdays(
            self.clock.today - timedelta(days=DAYS_OF_HISTORY), self.clock.today - timedelta(days=1)
        )
        for rep in self.sdr + self.bdr + self.recyclers:
            rows.extend(self.rep_days(rep, windows[rep.pk], days))
        rows.extend(self.fs_activities())
        created = Activity.objects.bulk_create(rows, batch_size=1000)
        first_pk = min(a.pk for a in created)
        # "Logged at" follows "occurred at": the rows were logged as the work happened.
        Activity.objects.filter(pk__gte=first_pk).update(created_at=F("occurred_at"), updated_at=F("occurred_at"))
        latest = Activity.objects.order_by().values("lead").annotate(last=Max("occurred_at")).values("last")
        Lead.objects.filter(pk__gte=self.first_lead_pk).update(
            last_activity_at=Subquery(latest.filter(lead=OuterRef("pk")))
        )
        latest = Activity.objects.order_by().values("opportunity").annotate(last=Max("occurred_at")).values("last")
        Opportunity.objects.filter(pk__in=[d.opportunity.pk for d in self.deals]).update(
            last_activity_at=Subquery(latest.filter(opportunity=OuterRef("pk")))
        )
        kinds = Counter(a.kind for a in rows)
        self.log(f"activities: {len(rows)} (" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")")

    def call(
        self,
        rep: User,
        plan: LeadPlan,
        at: datetime,
        *,
        first: bool = False,
        outcome: str | None = None,
        connect_rate: float = 0.3,
    ) -> Activity:
        rng = self.rng
        # Leads call back now and then; the first touch and the booking call are always the rep's.
        inbound = plan.lead.origin == Origin.INBOUND and not first and outcome is None and rng.random() < 0.12
        if first and plan.lead.origin == Origin.INBOUND:
            connect_rate = 0.5  # someone who just filled in a form usually picks up
        if outcome == "appointment":
            connected, effective = True, True
        else:
            connected = rng.random() < (0.8 if inbound else connect_rate)
            effective = connected and rng.random() < 0.4
            if not connected:
                outcome = self.pick({"no_answer": 70, "gatekeeper": 20, "callback": 7, "wrong_number": 3})
            elif effective:
                outcome = self.pick({"hearing": 65, "info_sent": 35})
            else:
                outcome = self.pick({"not_interested": 35, "callback": 35, "info_sent": 30})
        if not connected:
            duration = rng.randint(8, 45)
        elif effective:
            duration = rng.randint(180, 900)
        else:
            duration = rng.randint(30, 180)
        return Activity(
            kind=Activity.Kind.CALL,
            direction=Origin.INBOUND if inbound else Origin.OUTBOUND,
            connected=connected,
            effective_conversation=effective,
            outcome_id=self.outcomes.get(outcome),
            duration_seconds=duration,
            note=rng.choice(CALL_NOTES.get(outcome, [""])),
            occurred_at=at,
            actor_id=rep.pk,
            team_id=rep.team_id,
            company_id=plan.lead.company_id,
            lead_id=plan.lead.pk,
        )

    def rep_days(self, rep: User, windows: list, days: list[date]) -> list[Activity]:
        """A rep's calls and mails day by day, on the leads they were working that day, the newest most often."""
        rng, clock = self.rng, self.clock
        connect_rate = rng.uniform(0.25, 0.35)
        rows = []
        for day in days:
            if rng.random() < 0.04:  # a day off or a training day
                continue
            pool = [w for w in windows if w[3] <= day <= w[4]]
            if not pool:
                continue
            calls = round(rng.randint(40, 60) * self.scale)
            mails = round(rng.randint(8, 12) * self.scale)
            cap = 3 * len(pool)
            calls, mails = min(calls, cap), min(mails, cap)
            # Fresh leads get called more: speed to lead, then a slowing cadence.
            weights = [1 / (1 + (day - w[3]).days / 5) for w in pool]
            opens, closes = clock.at(day, DAY_OPENS), clock.at(day, DAY_CLOSES)
            for index, (plan, start, end, *_span) in enumerate(rng.choices(pool, weights=weights, k=calls + mails)):
                low = max(opens, start + timedelta(minutes=1))
                high = min(closes, end - timedelta(minutes=1))
                if low >= high:
                    continue
                at = low + (high - low) * rng.random()
                if index < calls:
                    rows.append(self.call(rep, plan, at, connect_rate=connect_rate))
                else:
                    rows.append(
                        Activity(
                            kind=Activity.Kind.MAIL,
                            direction=Origin.OUTBOUND,
                            connected=None,
                            effective_conversation=False,
                            outcome_id=self.outcomes.get("info_sent") if rng.random() < 0.5 else None,
                            note=rng.choice(MAIL_NOTES),
                            occurred_at=at,
                            actor_id=rep.pk,
                            team_id=rep.team_id,
                            company_id=plan.lead.company_id,
                            lead_id=plan.lead.pk,
                        )
                    )
        return rows

    def fs_activities(self) -> list[Activity]:
        """Meetings at each phase step, and calls and mails every few days until the deal closes or stalls."""
        rng, clock, now = self.rng, self.clock, self.clock.now
        rows = []
        for deal in self.deals:
            if deal.responded is None and deal.sql_handoff is not None:
                continue
            opportunity = deal.opportunity

            def add(kind: str, at: datetime, *, deal=deal, opportunity=opportunity) -> None:
                meeting = kind in (Activity.Kind.WEB_MEETING, Activity.Kind.VISIT)
                connected = True if meeting else None if kind == Activity.Kind.MAIL else rng.random() < 0.6
                rows.append(
                    Activity(
                        kind=kind,
                        direction=Origin.OUTBOUND,
                        connected=connected,
                        effective_conversation=meeting or bool(connected and rng.random() < 0.5),
                        duration_seconds=rng.randint(1800, 5400) if meeting else None,
                        note=rng.choice(FS_NOTES[kind]),
                        occurred_at=at,
                        actor_id=deal.owner.pk,
                        team_id=deal.owner.team_id,
                        company_id=opportunity.company_id,
                        opportunity_id=opportunity.pk,
                    )
                )

            for code, at in deal.moves:
                if code in ("02", "03", "04"):
                    # The meeting comes just before the rep records the step, within the same working day.
                    held = clock.before(at, rng.randint(30, 90))
                    add(rng.choice([Activity.Kind.WEB_MEETING, Activity.Kind.VISIT]), held)
            last_step = deal.history[-1]
            end = deal.closed or now
            if deal.stalls:
                end = min(end, last_step + timedelta(days=rng.uniform(1, 6)))
            moment = clock.later(deal.responded or deal.opened, 1, 4)
            while moment < end:
                add(rng.choices([Activity.Kind.CALL, Activity.Kind.MAIL], weights=[55, 45])[0], moment)
                moment = clock.later(moment, 3, 9)
        return rows

    # -- marketing signals ---------------------------------------------------------------------------------

    def build_touch_points(self) -> None:
        rng, clock = self.rng, self.clock
        open_statuses = {"new", "working", "nurturing", "recycled", "revived"}
        candidates = [p for p in self.plans if p.fate in open_statuses and p.lead.email]
        # Weighted sampling without replacement (Efraimidis–Spirakis): inbound leads are three times as likely.
        keyed = sorted(
            candidates,
            key=lambda p: rng.random() ** (1 / (3 if p.lead.origin == Origin.INBOUND else 1)),
            reverse=True,
        )
        chosen = keyed[: self.scaled(300, minimum=5)]
        kinds = list(TOUCH_WEIGHTS)
        rows, scores, hot_at = [], {}, {}
        since = clock.now - timedelta(days=14)
        number = 0
        for plan in chosen:
            events = sorted(
                max(since, plan.created_at) + (clock.now - max(since, plan.created_at)) * rng.random()
                for _ in range(rng.randint(1, 8))
            )
            page_views: list[datetime] = []
            for at in events:
                kind = rng.choices(kinds, weights=[TOUCH_WEIGHTS[k][0] for k in kinds])[0]
                number += 1
                path = rng.choice(TOUCH_URLS[kind])
                rows.append(
                    TouchPoint(
                        lead_id=plan.lead.pk,
                        kind=kind,
                        url=f"{SITE}{path}" if path else "",
                        occurred_at=at,
                        external_id=f"demo-ma-{number:07d}",
                        payload={"utm_source": rng.choice(["newsletter", "google", "seminar", "direct"])},
                    )
                )
                scores[plan.lead.pk] = scores.get(plan.lead.pk, 0) + TOUCH_WEIGHTS[kind][1]
                if kind == TouchPoint.Kind.PAGE_VIEW:
                    page_views.append(at)
                    recent = [t for t in page_views if at - t <= timedelta(days=7)]
                    if len(recent) >= 5:
                        hot_at.setdefault(plan.lead.pk, at)
                if kind in (TouchPoint.Kind.DEMO_CLICK, TouchPoint.Kind.TRIAL):
                    hot_at.setdefault(plan.lead.pk, at)
        TouchPoint.objects.bulk_create(rows, batch_size=1000)
        TouchPoint.objects.filter(external_id__startswith="demo-ma-").update(created_at=F("occurred_at"))
        hot = sorted(hot_at, key=lambda pk: hot_at[pk], reverse=True)[: self.scaled(20, minimum=2)]
        hot_set = set(hot)
        Lead.objects.bulk_update(
            [
                Lead(pk=pk, score=score, is_hot=pk in hot_set, hot_since=hot_at[pk] if pk in hot_set else None)
                for pk, score in scores.items()
            ],
            ["score", "is_hot", "hot_since"],
            batch_size=500,
        )
        self.log(f"touch points: {len(rows)} on {len(chosen)} leads, hot leads: {len(hot)}")

    # -- marketing feedback --------------------------------------------------------------------------------

    def build_marketing_feedback(self) -> None:
        """IS's verdicts on most inbound leads older than two days (the weaker the source, the more "not a
        fit"), nurturing steps marked on leads being worked, and mail requests in every status."""
        rng, now = self.rng, self.clock.now
        codes = {source.pk: code for code, source in self.sources.items()}
        reasons = list(MqlRejectReason.objects.filter(is_active=True))
        weights = [MQL_REASON_WEIGHTS.get(reason.code, 1) for reason in reasons]
        reviews = []
        for plan in self.plans:
            lead = plan.lead
            if lead.origin != Origin.INBOUND or now - plan.created_at < timedelta(days=2) or rng.random() < 0.2:
                continue
            fit = MQL_FIT.get(codes[lead.source_id], 0.75)
            accepted = plan.fate in ("qualified", "revived") or (plan.fate != "disqualified" and rng.random() < fit)
            reviews.append(
                MqlReview(
                    lead_id=lead.pk,
                    verdict=MqlReview.Verdict.ACCEPTED if accepted else MqlReview.Verdict.NOT_A_FIT,
                    reason=None if accepted else rng.choices(reasons, weights=weights)[0],
                    reviewed_by=plan.owner or self.sdr[0],
                    reviewed_at=min(now, plan.created_at + timedelta(hours=rng.uniform(1, 48))),
                )
            )
        MqlReview.objects.bulk_create(reviews, batch_size=500)

        steps = defaultdict(list)
        for checkpoint in NurturingCheckpoint.objects.filter(is_active=True):
            steps[checkpoint.source_id].append(checkpoint)
        worked = dict(
            Lead.objects.filter(
                pk__gte=self.first_lead_pk,
                owner__isnull=False,
                status__in=[Lead.Status.WORKING, Lead.Status.NURTURING, Lead.Status.RECYCLED],
            ).values_list("pk", "owner_id")
        )
        marks = []
        for plan in self.plans:
            lead = plan.lead
            if lead.pk not in worked:
                continue
            for checkpoint in steps[lead.source_id][: rng.randint(0, len(steps[lead.source_id]))]:
                outcome = LeadCheckpoint.Outcome.SKIPPED if rng.random() < 0.1 else LeadCheckpoint.Outcome.DONE
                marks.append(
                    LeadCheckpoint(
                        lead_id=lead.pk, checkpoint=checkpoint, outcome=outcome, marked_by_id=worked[lead.pk]
                    )
                )
        LeadCheckpoint.objects.bulk_create(marks, batch_size=500)

        self.build_mail_requests()
        self.log(f"MQL reviews: {len(reviews)}, nurturing marks: {len(marks)}")

    def build_mail_requests(self) -> None:
        S = CampaignEmailRequest.Status
        today, now = self.clock.today, self.clock.now
        tz = timezone.get_current_timezone()
        for index, (subject, recipients, status, days) in enumerate(MAIL_REQUESTS):
            requester = (self.sdr + self.bdr)[index % len(self.sdr + self.bdr)]
            requested_at = now - timedelta(days=max(3, -days + 5), hours=index)
            send_on = today + timedelta(days=days)
            send_at = datetime.combine(send_on, time(10, 0), tzinfo=tz)
            handled = status != S.REQUESTED
            row = CampaignEmailRequest.objects.create(
                subject=subject,
                body=MAIL_BODY.format(subject=subject),
                recipient_list=recipients,
                desired_send_on=send_on,
                desired_send_time=time(10, 0),
                status=status,
                requested_by=requester,
                handled_by=self.marketer if handled else None,
                accepted_at=requested_at + timedelta(hours=3) if status in (S.ACCEPTED, S.SCHEDULED, S.SENT) else None,
                scheduled_for=send_at if status in (S.SCHEDULED, S.SENT) else None,
                scheduled_at=requested_at + timedelta(days=1) if status in (S.SCHEDULED, S.SENT) else None,
                sent_at=send_at if status == S.SENT else None,
                declined_at=requested_at + timedelta(hours=5) if status == S.DECLINED else None,
                decline_reason="同じリストに今週すでに配信予定があるため" if status == S.DECLINED else "",
            )
            CampaignEmailRequest.objects.filter(pk=row.pk).update(requested_at=requested_at)
            path = {
                S.REQUESTED: [S.REQUESTED],
                S.ACCEPTED: [S.REQUESTED, S.ACCEPTED],
                S.SCHEDULED: [S.REQUESTED, S.ACCEPTED, S.SCHEDULED],
                S.SENT: [S.REQUESTED, S.ACCEPTED, S.SCHEDULED, S.SENT],
                S.DECLINED: [S.REQUESTED, S.DECLINED],
            }[status]
            events = CampaignEmailRequestEvent.objects.bulk_create(
                [
                    CampaignEmailRequestEvent(
                        email_request=row,
                        from_status=path[step - 1] if step else "",
                        to_status=to,
                        actor=requester if to == S.REQUESTED else self.marketer,
                        note=row.decline_reason if to == S.DECLINED else "",
                    )
                    for step, to in enumerate(path)
                ]
            )
            for step, event in enumerate(events):
                CampaignEmailRequestEvent.objects.filter(pk=event.pk).update(
                    at=requested_at + timedelta(hours=step * 3)
                )

    # -- summary -------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        def by(qs, field_name: str, label: str) -> dict[str, int]:
            rows = qs.order_by().values_list(field_name).annotate(n=Count("pk"))
            return {f"{label} {key}": n for key, n in sorted(rows)}

        return {
            "companies": Company.objects.count(),
            "campaigns": Campaign.objects.count(),
            "leads": Lead.objects.count(),
            **by(Lead.objects.all(), "status", "leads"),
            "hot leads": Lead.objects.filter(is_hot=True).count(),
            "lead events": LeadEvent.objects.count(),
            "recycle plans": LeadRecycle.objects.count(),
            "touch points": TouchPoint.objects.count(),
            "activities": Activity.objects.count(),
            **by(Activity.objects.all(), "kind", "activities"),
            **by(Handoff.objects.filter(kind=Handoff.Kind.IS_TO_FS), "status", "SQL handoffs"),
            "SQL feedback given": Handoff.objects.exclude(feedback="").count(),
            "handoffs FS→IS (sent back)": Handoff.objects.filter(kind=Handoff.Kind.FS_TO_IS).count(),
            "handoffs FS→CS": Handoff.objects.filter(kind=Handoff.Kind.FS_TO_CS).count(),
            "opportunities": Opportunity.objects.count(),
            **by(Opportunity.objects.all(), "origin", "opportunities"),
            **by(Opportunity.objects.all(), "status", "opportunities"),
            **by(Opportunity.objects.filter(status=Opportunity.Status.OPEN), "phase__code", "open in phase"),
            "CS accounts": CSAccount.objects.count(),
            **by(MqlReview.objects.all(), "verdict", "MQL reviews"),
            "nurturing steps marked": LeadCheckpoint.objects.count(),
            **by(CampaignEmailRequest.objects.all(), "status", "mail requests"),
        }
