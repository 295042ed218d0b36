"""Issue #16, items 8 and 14: doctor cards with what patients look for, and English
names for specialties, titles and institutions."""

import re

from tests.factories import (
    create_expert,
    create_institution,
    create_session,
    create_specialty,
    create_township,
)


def _expert(**kw):
    return create_expert(
        name="刘明远", title="主任医师", title_en="Chief Physician",
        expertise="冠心病、高血压、心力衰竭",
        institution=create_institution(name="中南大学湘雅医院", name_en="Xiangya Hospital"),
        specialty=create_specialty(name="心血管内科", name_en="Cardiology"),
        native_township=create_township(name="官庄镇"), **kw)


def _card(html: str) -> str:
    match = re.search(r'<li class="card doctor">(.*?)</li>', html, re.S)
    assert match, html
    return match.group(1)


def test_doctor_card_shows_title_hospital_expertise_and_hometown(db, client):
    _expert()

    card = _card(client.get("/experts?name=刘明远").text)

    assert re.search(r'<strong class="doctor-name">刘明远</strong>', card)
    assert '<span class="doctor-title">主任医师 · 心血管内科</span>' in card
    assert '<span class="doctor-hospital">中南大学湘雅医院</span>' in card
    assert "擅长</b> 冠心病、高血压、心力衰竭" in card
    assert "家乡：官庄镇" in card


def test_doctor_card_and_page_in_english(db, client):
    expert = _expert()
    client.set_cookie("lang", "en")

    card = _card(client.get("/experts?name=刘明远").text)
    assert '<span class="doctor-title">Chief Physician · Cardiology</span>' in card
    assert '<span class="doctor-hospital">Xiangya Hospital</span>' in card
    assert "Expertise</b>" in card
    assert "Hometown: 官庄镇" in card

    page = client.get(f"/experts/{expert.id}").text
    assert "Chief Physician" in page and "Xiangya Hospital" in page
    assert "冠心病" in page


def test_english_falls_back_to_the_chinese_name_where_none_is_given(db, client):
    create_expert(name="王桂兰", title="副主任医师",
                  institution=create_institution(name="株洲市中心医院"),
                  specialty=create_specialty(name="老年医学科"))
    client.set_cookie("lang", "en")

    card = _card(client.get("/experts?name=王桂兰").text)

    assert "副主任医师 · 老年医学科" in card
    assert "株洲市中心医院" in card
    assert "Expertise" not in card  # no 擅长 given, no empty heading


def test_session_pages_name_specialty_title_and_hospital_in_the_readers_language(db, client):
    expert = _expert()
    session = create_session(experts=[expert], specialty=expert.specialty)

    chinese = client.get(f"/sessions/{session.id}").text
    assert "<h1>刘明远 心血管内科</h1>" in chinese
    assert "主任医师 · 中南大学湘雅医院" in chinese

    client.set_cookie("lang", "en")
    english = client.get(f"/sessions/{session.id}").text
    assert "<h1>刘明远 Cardiology</h1>" in english
    assert "Chief Physician · Xiangya Hospital" in english
    assert "<title>刘明远 Cardiology" in english


def test_messages_keep_the_chinese_title_whatever_the_page_language(db, app):
    expert = _expert()
    session = create_session(experts=[expert], specialty=expert.specialty)

    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert session.page_title == "刘明远 Cardiology"
        assert session.display_title == "刘明远 心血管内科"


def test_the_api_gives_the_english_names_and_expertise(db, client):
    expert = _expert()

    body = client.get(f"/api/v1/experts/{expert.id}").json

    assert body["title_en"] == "Chief Physician"
    assert body["expertise"] == "冠心病、高血压、心力衰竭"
    assert body["institution"]["name_en"] == "Xiangya Hospital"
    assert body["specialty"]["name_en"] == "Cardiology"

