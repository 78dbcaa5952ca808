"""Realistic Chinese names, organisations and identifiers for the demo trails.

Role: deterministic pools (drawn with the caller's ``random.Random``) of company names,
unified social credit codes, person names and device identifiers. Pure: no I/O, no clock.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

CITIES = ("杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "衢州", "丽水", "舟山")
CITY_CODES = {"杭州": "3301", "宁波": "3302", "温州": "3303", "嘉兴": "3304", "湖州": "3305",
              "绍兴": "3306", "金华": "3307", "衢州": "3308", "舟山": "3309", "台州": "3310",
              "丽水": "3311"}
BRANDS = ("宏业", "中天", "华东", "天成", "立信", "恒达", "汇通", "金诚", "广厦", "东方", "正泰",
          "信达", "鼎盛", "永安", "华强", "瑞丰", "远大", "新盛", "锦程", "海川", "明珠", "长运",
          "通达", "国泰", "泰隆", "越秀", "之江", "钱江", "兴业", "安居", "博远", "昌盛")
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
EXPERT_EMPLOYERS = ("浙江大学", "浙江工业大学", "浙江省建筑设计研究院", "浙江省交通规划设计研究院",
                    "杭州市城建设计研究院", "浙江省水利水电勘测设计院", "浙江财经大学",
                    "浙江省信息化发展中心")


@dataclass(frozen=True)
class Org:
    org_id: str
    name: str


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str


def credit_code(rng: random.Random, city: str, prefix: str = "91") -> str:
    """An 18-character unified social credit code shape (not checksum-valid)."""
    tail = "".join(rng.choice(string.digits + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(11))
    return f"{prefix}{CITY_CODES.get(city, '3301')}00{tail}"[:18]


def company(rng: random.Random, subject: str, used: set[str]) -> Org:
    """A company not in ``used`` (names and ids are both unique per project)."""
    trades = WORKS_TRADES if subject == "works" else GOODS_TRADES
    while True:
        city, brand, trade = rng.choice(CITIES), rng.choice(BRANDS), rng.choice(trades)
        name = f"浙江{brand}{trade}" if rng.random() < 0.4 else f"{city}{brand}{trade}"
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
