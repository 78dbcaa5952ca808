"""The statutes lead packages quote are part of the repository: every cited law (but the
evaluation-committee rules, cited by article only) resolves to an article text."""

from __future__ import annotations

from ledger.rules import package
from ledger.rules.registry import load_all


def test_every_law_code_but_one_has_its_text_in_the_repository() -> None:
    root = package.LAWS_DIR.resolve()
    assert root.is_dir() and str(root).startswith(str(package.Path(__file__).resolve()
                                                      .parents[2]))
    missing = [code for code, prefix in package.LAW_FILES.items()
               if not any(p.name.startswith(prefix) for p in root.glob("*.md"))]
    assert missing == ["EV"]


def test_the_cited_articles_are_found() -> None:
    (tb_28,) = package.legal_excerpts("TB 第28条")
    assert tb_28["text"].startswith("第二十八条") and "投标人少于三个" in tb_28["text"]
    cited = {(c, a) for r in load_all().values()
             for c, a in package.re.findall(r"\b(TBR|TB|GP87|GPR|GP|EB|ES|FC|OP|CC)\s*第(\d+)条",
                                            r.meta.basis)}
    found = {(x["law"], x["article"][1:-1]) for c, a in cited
             for x in package.legal_excerpts(f"{c} 第{a}条")}
    assert len(found) >= 0.95 * len(cited), sorted(cited - found)[:10]
