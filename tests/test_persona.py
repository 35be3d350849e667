"""Personas: the demo's planted differences are named in both languages, the decoy is not."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from handlers.messages import IncomingMessage
from handlers.router import handle
from handlers.services import Services
from store import persona as persona_store
from store.models import Account
from store.query import count, scope_for
from store.spec import Condition, Filter, Spec
from tests.conftest import AS_OF


@pytest.fixture
def planted_book(services: Services) -> Services:
    """A 200-account demo book (seed 7): enough accounts for the planted traits to be clear."""
    from store.defaults import install_defaults
    from store.demo import generate

    with services.session_factory.begin() as s:
        install_defaults(s)
        generate(s, accounts=200, seed=7, today=AS_OF)
    return services


def _say(svc: Services, text: str, user: str = "local"):
    replies = handle(svc, IncomingMessage(user=user, text=text, as_of=AS_OF))
    assert len(replies) == 1
    return replies[0]


def _traits(reply) -> dict[tuple[str, str], dict]:
    return {(t["field"], t["value"]): t for t in reply.data["traits"]}


def _full_text(reply) -> str:
    return reply.data["text"]


def test_planted_traits_named_in_english_and_chinese_and_the_decoy_is_not(planted_book):
    for question, lang in (
        ("what do churn-risk accounts have in common", "en"),
        ("有流失风险的客户有什么共同特征", "zh"),
    ):
        reply = _say(planted_book, question)
        assert reply.kind == "answer", reply.text
        data = reply.data
        assert data["segment"]["understood"]["where"]["all"][0]["value"] == "churn_risk"
        assert data["segment"]["size"] > 30 and data["baseline"]["size"] > 100
        traits = _traits(reply)
        # planted: retail, no EB who supports us, workflow rarely used, price complaints
        assert traits[("industry", "retail")]["lift"] > 1.5
        assert traits[("eb_supporter", "no")]["segment_share"] > 0.8
        assert traits[("feature", "workflow")]["lift"] < 0.5
        assert ("words", "price") in traits and ("words", "价格") in traits
        # the decoy: price sensitivity is drawn without regard to churn
        assert not [t for t in data["traits"] if t["field"] == "price_sensitivity"]
        text = _full_text(reply)
        if lang == "en":
            for word in ("Retail", "workflow", "“price”", "no EB", "Correlation is not causation"):
                assert word in text, word
            assert "Price sensitivity" not in text
        else:
            for word in ("零售", "workflow", "“价格”", "没有支持我们的决策人", "相关不等于因果"):
                assert word in text, word
            assert "价格敏感度" not in text
        # strongest first, each with the figures behind it
        zs = [abs(t["z"]) for t in data["traits"]]
        assert zs == sorted(zs, reverse=True)
        for t in data["traits"]:
            assert set(t) >= {"field", "value", "segment_share", "baseline_share", "lift"}
            assert t["segment_count"] == round(t["segment_share"] * data["segment"]["size"])
        # with a chart that draws the same traits in the asker's language
        assert reply.chart is not None and reply.chart.png.startswith(b"\x89PNG")
        assert ("差异" in reply.chart.title) == (lang == "zh")


def test_churned_drill_down_and_saved_segment(planted_book):
    en = _say(planted_book, "what do churned accounts have in common")
    assert en.kind == "answer"
    first = en.data["segment"]["understood"]["where"]["all"][0]
    assert (first["field"], first["op"], first["value"]) == ("stage", "eq", "churned")
    zh = _say(planted_book, "流失客户有什么共同特征")
    assert zh.data["segment"]["size"] == en.data["segment"]["size"] > 0
    assert "流失客户" in zh.text and "个" in zh.text

    vs = _say(planted_book, "compare churn-risk accounts with healthy ones")
    assert vs.kind == "answer" and vs.data["baseline"]["understood"] is not None
    rest = _say(planted_book, "compare churn-risk accounts with the rest")
    # the default baseline says what it is: every visible account the segment leaves out
    rest_where = rest.data["baseline"]["understood"]["where"]
    assert rest_where["negate"] is True
    assert rest_where["all"][0] == rest.data["segment"]["understood"]["where"]
    assert rest.data["segment"]["size"] + rest.data["baseline"]["size"] == 200

    _say(planted_book, "有流失风险的客户有什么共同特征")
    drill = _say(planted_book, "show the 零售 ones")
    ids = {a["id"] for a in drill.data["accounts"]}
    assert ids
    with planted_book.session_factory.begin() as s:
        scope = scope_for(s, "local")
        risky_retail = Spec(
            where=Condition(
                all=[
                    Filter(field="tag", value="churn_risk"),
                    Filter(field="industry", value="零售"),
                ]
            )
        )
        assert len(ids) == count(s, risky_retail, scope, AS_OF)
        industries = set(s.scalars(select(Account.industry).where(Account.id.in_(ids))))
    assert industries <= {"零售", "Retail"}

    saved = _say(planted_book, "save these as 'at-risk retail'")
    assert "at-risk retail" in saved.text and saved.kind == "answer"
    with planted_book.session_factory.begin() as s:
        scope = scope_for(s, "local")
        by_name = Spec(where=Condition(all=[Filter(field="segment", value="At-Risk Retail")]))
        assert count(s, by_name, scope, AS_OF) == len(ids)
    asked = _say(planted_book, "at-risk retail accounts")
    assert {a["id"] for a in asked.data["accounts"]} == ids
    zh_asked = _say(planted_book, "“At-Risk Retail”里年合同额超过5万的客户")
    assert {a["id"] for a in zh_asked.data["accounts"]} < ids | {0}


def test_persona_stays_inside_the_askers_scope_and_flags_small_groups(demo_services):
    with demo_services.session_factory.begin() as s:
        bobs = s.scalar(
            select(func.count())
            .select_from(Account)
            .where((Account.owner == "bob") | (Account.csm == "bob"))
        )
    reply = _say(demo_services, "what do churn-risk accounts have in common", user="bob")
    data = reply.data
    assert data["segment"]["size"] + data["baseline"]["size"] == bobs
    assert data["segment"]["small"] is True
    assert "Small group" in reply.data["text"]
    stranger = _say(demo_services, "what do churn-risk accounts have in common", user="nobody")
    assert "traits" not in stranger.data and stranger.kind == "error"


def test_words_are_segmented_chinese_and_english_without_stopwords():
    words = persona_store.words_of("价格太贵，续约预算不够。The price is too high for our budget!")
    assert {"价格", "预算", "续约", "price", "budget", "high"} <= words
    assert not {"the", "is", "our", "for", "价", "格"} & words


def test_persona_cli_json_and_chart(cli_env, tmp_path):
    import subprocess

    from matplotlib import image

    run = lambda *a: subprocess.run(  # noqa: E731
        ["profilebot", *a], env=cli_env, capture_output=True, text=True, check=False
    )
    assert run("demo", "--accounts", "80", "--seed", "3").returncode == 0
    png = tmp_path / "persona.png"
    out = run("persona", "流失客户", "--as-of", "2026-11-01", "--json", "--chart", str(png))
    assert out.returncode == 0, out.stderr
    import json

    data = json.loads(out.stdout)
    assert {"text", "segment", "baseline", "traits"} <= set(data)
    assert data["segment"]["size"] > 0 and "相关不等于因果" in data["text"]
    assert image.imread(io.BytesIO(png.read_bytes()), format="png").shape[0] > 200
    assert data["files"][0]["path"] == str(png.resolve())
