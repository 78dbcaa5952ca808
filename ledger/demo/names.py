"""Realistic Chinese names, organisations and identifiers for the demo trails.

Role: deterministic pools (drawn with the caller's ``random.Random``) of company names,
unified social credit codes, person names and device identifiers. Pure: no I/O, no clock.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass

CITIES = ("沈阳", "大连", "鞍山", "抚顺", "本溪", "丹东", "锦州", "营口", "阜新", "辽阳",
          "盘锦", "铁岭", "朝阳", "葫芦岛")
CITY_CODES = {"沈阳": "2101", "大连": "2102", "鞍山": "2103", "抚顺": "2104", "本溪": "2105",
              "丹东": "2106", "锦州": "2107", "营口": "2108", "阜新": "2109", "辽阳": "2110",
              "盘锦": "2111", "铁岭": "2112", "朝阳": "2113", "葫芦岛": "2114"}
CITY_ABBR = {"沈阳": "SY", "大连": "DL", "鞍山": "AS", "抚顺": "FS", "本溪": "BX", "丹东": "DD",
             "锦州": "JZ", "营口": "YK", "阜新": "FX", "辽阳": "LY", "盘锦": "PJ", "铁岭": "TL",
             "朝阳": "CY", "葫芦岛": "HLD"}
PROVINCE_CODE = "210000"
# District registration authorities of the two largest cities (行政区划代码), so that not every
# company of those cities carries the city-level code.
DISTRICTS = {"沈阳": ("210102", "210103", "210104", "210105", "210106", "210112", "210114"),
             "大连": ("210202", "210203", "210204", "210211", "210213")}
BRANDS = ("宏业", "中天", "华东", "天成", "立信", "恒达", "汇通", "金诚", "广厦", "东方", "正泰",
          "信达", "鼎盛", "永安", "华强", "瑞丰", "远大", "新盛", "锦程", "海川", "明珠", "长运",
          "通达", "国泰", "盛京", "辽河", "渤海", "北方", "兴业", "安居", "博远", "昌盛")
WORKS_TRADES = ("建设集团有限公司", "建筑工程有限公司", "市政工程有限公司", "交通建设有限公司",
                "园林工程有限公司", "水利水电建设有限公司")
GOODS_TRADES = ("科技有限公司", "信息技术有限公司", "设备有限公司", "办公用品有限公司",
                "电子科技股份有限公司", "医疗器械有限公司")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "晓东", "海燕", "文博",
         "子涵", "雨欣", "国庆", "建国", "春梅", "立新", "永红", "晨", "宇", "浩然", "思远")
PINYIN = ("wangwei", "lina", "zhangmin", "liuyang", "chenjie", "yangfan", "huangtao", "zhaolei",
          "wujun", "zhouqiang", "xuming", "sunli", "mahui", "zhujing", "huyan", "guoqing",
          "heping", "gaofeng", "linxi", "luoyi", "zhengkai", "liangchen", "xieyu", "songjia")
SPECIALTIES = {"works": ("SZ-DL", "ZJ-GC", "JZ-JG", "JZ-AZ"), "goods": ("HW-XX", "HW-BG", "JJ-CW")}
EXPERT_EMPLOYERS = ("东北大学", "大连理工大学", "沈阳建筑大学", "辽宁省建筑设计研究院",
                    "辽宁省交通规划设计院", "沈阳市市政工程设计研究院", "东北财经大学",
                    "辽宁省水利水电勘测设计研究院", "辽宁工程技术大学")
# GB 32100-2015: the code's alphabet (no I, O, Z, S, V) and the weights 3^i mod 31.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714-1997: the organisation code's own check character (the code's 17th character).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Org:
    org_id: str
    name: str


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str


def credit_check(body: str) -> str:
    """The 18th character of a unified social credit code from its first 17 (GB 32100)."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def org_check(body: str) -> str:
    """The 9th character of an organisation code from its first 8 (GB 11714)."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def region_of(rng: random.Random, city: str | None) -> str:
    """The 6-digit 行政区划代码 of the registering authority (province when ``city`` is None)."""
    if city is None:
        return PROVINCE_CODE
    districts = DISTRICTS.get(city, ())
    if districts and rng.random() < 0.6:
        return rng.choice(districts)
    return f"{CITY_CODES.get(city, '2101')}00"


def credit_code(rng: random.Random, city: str | None, prefix: str = "91") -> str:
    """A checksum-valid 18-character unified social credit code registered in ``city``:
    ``prefix`` (registration authority and type: 91 enterprise, 11 state organ, 12 public
    institution), the region, the organisation code (new enterprises: ``MA`` + 6) and the
    check character."""
    if prefix == "91":
        org = "MA" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(6))
    else:
        org = "".join(rng.choice(string.digits) for _ in range(8))
    body = f"{prefix}{region_of(rng, city)}{org}{org_check(org)}"
    return body + credit_check(body)


def city_of(project_id: str) -> str:
    """The city a project belongs to: named by its id (``LN-SY-…``), else drawn from the id's
    hash (so an explicit id needs no extra random draw)."""
    by_abbr = {abbr: city for city, abbr in CITY_ABBR.items()}
    parts = project_id.split("-")
    if len(parts) > 1 and parts[1] in by_abbr:
        return by_abbr[parts[1]]
    return CITIES[int(hashlib.sha256(project_id.encode()).hexdigest(), 16) % len(CITIES)]


def company(rng: random.Random, subject: str, used: set[str]) -> Org:
    """A company not in ``used`` (names and ids are both unique per project)."""
    trades = WORKS_TRADES if subject == "works" else GOODS_TRADES
    while True:
        city, brand, trade = rng.choice(CITIES), rng.choice(BRANDS), rng.choice(trades)
        name = f"辽宁{brand}{trade}" if rng.random() < 0.4 else f"{city}{brand}{trade}"
        if name not in used:
            used.add(name)
            return Org(credit_code(rng, city), name)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def expert(rng: random.Random, used: set[str]) -> Person:
    while True:
        pid = f"EXP-{rng.choice(list(CITY_CODES.values()))}00-{rng.randrange(10000):04d}"
        if pid not in used:
            used.add(pid)
            return Person(pid, person_name(rng))


def public_ip(rng: random.Random, used: set[str]) -> str:
    while True:
        ip = f"{rng.choice((115, 122, 183, 218, 60, 36, 112))}.{rng.randrange(1, 255)}." \
             f"{rng.randrange(0, 255)}.{rng.randrange(2, 254)}"
        block = ip.rsplit(".", 1)[0]
        if block not in used:  # distinct /24 per bidder, so no "same /24" info either
            used.add(block)
            return ip


def mac(rng: random.Random) -> str:
    """A globally administered unicast MAC (first octet's two low bits are 0)."""
    first = rng.randrange(0, 64) * 4
    rest = [rng.randrange(256) for _ in range(5)]
    return ":".join(f"{b:02x}" for b in [first, *rest])


def hexid(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))


def sha(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))
