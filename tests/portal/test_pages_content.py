"""What the pages say: Chinese first with an English switch, Beijing time and 元, event types
in Chinese, proof statuses, the receipt's QR code, the lead's legal text and its letter,
the operator's status — and the security headers and local assets of every page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import segno
from fastapi.testclient import TestClient

from tests.portal.conftest import World, fresh_client
from witness_api import create_app
from witness_api.config import ApiSettings
from witness_api.portal.formatting import computed_value
from witness_api.portal.i18n import Translator
from witness_api.portal.proof_status import Anchor, ProofBook

_ATTR = re.compile(r'\s(?:src|href|action)="([^"]*)"')
_SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)


def _page_data(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html,
                      re.DOTALL)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_chinese_first_whatever_the_browser_asks(portal_client: TestClient) -> None:
    page = portal_client.get("/verify", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="zh-CN">' in page.text and "回执核验" in page.text
    assert 'id="lang-switch" href="/verify?lang=en"' in page.text


def test_the_language_switch_sets_a_cookie_and_keeps_the_query(portal_client: TestClient) -> None:
    page = portal_client.get("/verify?index=3&lang=en")
    assert '<html lang="en">' in page.text and "Check a receipt" in page.text
    assert "lang=en" in page.headers["set-cookie"]
    assert 'href="/verify?index=3&amp;lang=zh"' in page.text
    assert '<html lang="en">' in portal_client.get("/").text  # the cookie holds
    assert '<html lang="zh-CN">' in portal_client.get("/?lang=zh").text
    assert '<html lang="zh-CN">' in portal_client.get("/").text


def test_pages_carry_the_security_headers_and_no_inline_script(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    admin, bidder = as_role("admin"), as_role("bidder")
    pages = [(admin, p) for p in ("/", "/verify", "/login", "/ops", "/leads", "/projects",
                                  f"/projects/{portal_world.projects['A']}",
                                  f"/projects/{portal_world.projects['A']}/report",
                                  f"/leads/{portal_world.leads['A']}",
                                  f"/leads/{portal_world.leads['A']}/letter")]
    pages += [(bidder, f"/me/receipts/{portal_world.bids['A']}"), (bidder, "/me"),
              (bidder, "/ops")]
    for client, path in pages:
        answer = client.get(path, follow_redirects=True)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "script-src 'self';" in csp and "unsafe" not in csp, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        for attrs, body in _SCRIPT.findall(answer.text):
            assert 'src="/static/' in attrs or ('type="application/json"' in attrs), path
            assert 'src="/static/' not in attrs or not body.strip(), path
        for target in _ATTR.findall(answer.text):
            assert target.startswith(("/", "#", "?")), (path, target)
    api = admin.get("/v1/log")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers


def test_the_verify_page_reads_the_chain_through_the_proxy(portal_client: TestClient) -> None:
    page = portal_client.get("/verify")
    for hook in ('input type="file" id="receipt-file"', 'id="bid-file"',
                 'textarea id="receipt-text"', 'button type="button" id="verify-button"',
                 'section id="verdict"', 'ul id="checks"', 'table id="receipt-fields"',
                 'progress id="hash-progress"', 'id="upgrade-button"'):
        assert hook in page.text, hook
    for label in ("受理时间", "事件", "项目", "区块高度", "交易哈希", "区块时间"):
        assert f"{label}" in page.text
    data = _page_data(page.text)
    assert data["rpc"] == "/v1/chain/rpc" and data["rpc_proxied"] is True
    assert data["upgrade"] == "cli" and data["prefill"] is None
    assert "交易中心自己的服务器" in page.text
    assert "connect-src 'self';" in page.headers["content-security-policy"]
    labels = data["event_labels"]
    assert isinstance(labels, dict) and labels["BID_SUBMITTED"] == "投标文件递交"


def test_a_qr_link_prefills_the_verify_page(portal_client: TestClient) -> None:
    leaf = "ab" * 32
    data = _page_data(portal_client.get(f"/verify?index=7&leaf={leaf}").text)
    assert data["prefill"] == {"index": 7, "leaf": leaf}
    assert _page_data(portal_client.get("/verify?index=7&leaf=xyz").text)["prefill"] is None


def test_a_logged_in_bidder_upgrades_from_the_page(as_role: Callable[[str], TestClient]) -> None:
    data = _page_data(as_role("bidder").get("/verify").text)
    assert data["upgrade"] == "session" and data["receipt_url"] == "/v1/receipts/{index}"


def test_a_public_chain_endpoint_is_read_directly(portal_world: World) -> None:
    endpoint = "https://chain.example:8545/rpc"
    app = create_app(portal_world.settings, api=ApiSettings(access_log=False, anchor=False,
                                                            policy_endpoint=endpoint))
    try:
        page = TestClient(app).get("/verify")
    finally:
        app.state.services.db.dispose()
    assert "connect-src 'self' https://chain.example:8545;" in \
        page.headers["content-security-policy"]
    data = _page_data(page.text)
    assert data["rpc"] == endpoint and data["rpc_proxied"] is False


def test_my_bids_show_types_in_chinese_times_in_beijing_and_proof(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    bidder = as_role("bidder")
    page = bidder.get("/me").text
    row = page[page.index(f'data-index="{portal_world.bids["A"]}"'):]
    row = row[:row.index("</tr>")]
    assert "投标文件递交" in row and 'data-status="anchored"' in row and "已锚定（区块" in row
    receipt = bidder.get(f"/me/receipts/{portal_world.bids['A']}.json").json()
    received = json.loads(receipt["canonical_event"])["received_at"]
    moment = datetime.fromisoformat(received).astimezone(timezone(timedelta(hours=8)))
    assert moment.strftime("%Y-%m-%d %H:%M:%S") in row


def test_the_printed_receipt_has_a_qr_code_to_the_verify_page(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    index = portal_world.bids["A"]
    bidder = as_role("bidder")
    leaf = bidder.get(f"/me/receipts/{index}.json").json()["leaf_hash"]
    page = bidder.get(f"/me/receipts/{index}").text
    target = f"http://testserver/verify?index={index}&leaf={leaf}"
    assert target.replace("&", "&amp;") in page
    assert 'id="receipt-qr"' in page and 'role="img"' in page
    expected = segno.make(target, error="m").svg_inline(scale=3)
    path = re.search(r' d="([^"]+)"', expected)
    assert path is not None and path.group(1) in page
    assert 'href="/static/css/print.css" media="print"' in page


def test_the_printed_receipt_names_its_anchor(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    """Block, transaction and block time (Beijing) of the receipt's anchor, as it holds them."""
    index = portal_world.bids["A"]
    bidder = as_role("bidder")
    anchor = bidder.get(f"/me/receipts/{index}.json").json()["anchored"]["anchor"]
    page = bidder.get(f"/me/receipts/{index}").text
    assert f"<td>{anchor['block_number']}</td>" in page
    assert f'<td class="hash">{anchor["tx_hash"].lower()}</td>' in page
    moment = datetime.fromtimestamp(anchor["block_timestamp"], timezone(timedelta(hours=8)))
    assert moment.strftime("%Y-%m-%d %H:%M:%S") in page


def test_the_printed_receipt_names_the_batch_its_promise_covers(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    """A v2 receipt's one signed promise covers a batch: the page says which, as /verify."""
    index = portal_world.bids["A"]
    bidder = as_role("bidder")
    receipt = bidder.get(f"/me/receipts/{index}.json").json()
    assert receipt["format"] == "witness-receipt/v2"
    lines = receipt["promise"].split("\n")
    first, count = int(lines[2]), int(lines[3])
    cell = re.search(r'<td id="receipt-batch">([^<]*)</td>',
                     bidder.get(f"/me/receipts/{index}").text)
    assert cell is not None and first <= index < first + count
    if count == 1:
        assert cell.group(1) == f"仅本条（日志序号 {first}）"
    else:
        assert cell.group(1) == (f"日志序号 {first}–{first + count - 1}，共 {count} 条"
                                 "（一次签名承诺）")
    english = bidder.get(f"/me/receipts/{index}?lang=en").text
    assert ("one signed promise" in english or "this event only" in english)


def test_the_project_page_shows_lots_proof_and_amounts(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    project = portal_world.projects["A"]
    page = as_role("supervisor").get(f"/projects/{project}").text
    assert f'section class="lot" data-section="{project}-S01"' in page
    assert 'data-type="BID_SUBMITTED"' in page and "投标文件递交" in page
    statuses = set(re.findall(r'td class="proof" data-status="(\w+)"', page))
    assert statuses == {"anchored"}
    assert " 元" in page and 'id="audit-button"' in page and 'id="audit-report"' in page
    assert f'id="audit-print" href="/projects/{project}/report"' in page
    # key fields under their labels, the schema name kept in the title; amounts in 元
    assert '<dt title="bidder_org">投标人</dt>' in page and "<dt>bidder_org</dt>" not in page
    assert re.search(r'<dt title="amount">金额</dt><dd>[\d,]+\.\d\d 元</dd>', page)
    english = as_role("supervisor").get(f"/projects/{project}?lang=en").text
    assert '<dt title="bidder_org">Bidder</dt>' in english
    assert re.search(r'<dt title="amount">Amount</dt><dd>CNY [\d,]+\.\d\d</dd>', english)
    report = as_role("supervisor").get(f"/projects/{project}/report").text
    assert _page_data(report)["autorun"] is True and 'id="audit-report"' in report


def test_an_event_in_no_checkpoint_is_only_recorded(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    page = as_role("admin").get("/projects/LN-SY-2025-0317").text
    row = page[page.index(f'data-index="{portal_world.last_index}"'):]
    assert 'data-status="recorded"' in row[:row.index("</tr>")]


def test_proof_statuses_follow_checkpoints_and_anchors() -> None:
    book = ProofBook(20, [Anchor(10, 4, 1_750_000_000, "0x01"), Anchor(15, 6, 1_750_000_100,
                                                                        "0x02")])
    assert [book.of(i).status for i in (0, 9, 10, 14, 15, 19, 20)] == [
        "anchored", "anchored", "anchored", "anchored", "checkpointed", "checkpointed",
        "recorded"]
    assert book.of(9).anchor.block_number == 4 and book.of(10).anchor.block_number == 6  # type: ignore[union-attr]


def test_the_lead_page_quotes_the_article_and_links_the_package(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    regulator = as_role("regulator")
    lead = portal_world.leads["A"]
    page = regulator.get(f"/leads/{lead}").text
    assert "中华人民共和国招标投标法 第46条" in page
    assert "第四十六条 招标人和中标人应当自中标通知书发出之日起三十日内" in page
    assert "R-TB-46-CONTRACT-30D" in page and 'id="ack-form"' in page
    assert f'id="package-download" class="button secondary" href="/v1/leads/{lead}/package"' in page
    assert f'id="letter-print" class="button secondary" href="/leads/{lead}/letter"' in page
    package = regulator.get(f"/v1/leads/{lead}/package")
    assert package.status_code == 200
    assert package.headers["x-content-sha256"] in page
    evidence = re.findall(r'<tr class="event" data-index="\d+" data-type="(\w+)"', page)
    assert evidence == ["AWARD_NOTICE_ISSUED", "CONTRACT_SIGNED"]


def test_computed_values_print_amounts_in_yuan_and_chinese_as_written() -> None:
    zh, en = Translator("zh"), Translator("en")
    assert computed_value("amount", "1234567", zh) == "1,234,567.00 元"
    assert computed_value("amount", "1234567", en) == "CNY 1,234,567.00"
    assert computed_value("due", "2026-03-11", zh) == "2026-03-11"
    assert computed_value("bidders", ["沈阳建工", "大连港"], zh) == "沈阳建工、大连港"
    assert computed_value("overdue", True, zh) == "是"


def test_the_transfer_letter(portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    lead = portal_world.leads["A"]
    letter = as_role("admin").get(f"/leads/{lead}/letter").text
    for text in ("违规线索移送函", portal_world.departments["A"], "第四十六条",
                 "witness-verify --policy trust.json bundle", "辽宁省公共资源交易中心",
                 'id="print-button"'):
        assert text in letter, text


def test_lead_filters(portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    admin = as_role("admin")
    a, b, c = (portal_world.leads[k] for k in "ABC")

    def shown(query: str) -> set[str]:
        page = admin.get(f"/leads?{query}")
        assert page.status_code == 200, page.text
        return set(re.findall(r'data-lead="([^"]+)"', page.text)) & {a, b, c}

    assert shown("") == {a, b, c}
    assert shown("rule=r-tb-46") == {a, b, c} and shown("severity=info") == set()
    assert shown(f"project={portal_world.projects['B']}") == {b}
    assert shown("since=2099-01-01") == set() and shown("until=2000-01-01") == set()
    assert admin.get("/leads?since=yesterday").status_code == 422


def test_the_operators_status(portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    page = as_role("admin").get("/ops").text
    assert 'dl class="facts" id="ops-status"' in page
    assert f'data-field="log_size">{portal_world.last_index + 1}<' in page
    assert "锚定滞后 1 条记录" in page and "链 ID 1337" in page
    assert 'data-ok="true"' in page


def test_error_pages_are_portal_pages(portal_world: World) -> None:
    client = fresh_client(portal_world)
    answer = client.get("/leads?lang=en")
    assert answer.status_code == 303
    page = client.get("/projects/x", follow_redirects=True)
    assert page.url.path == "/login" and 'id="login-form"' in page.text
