"""Emergency fast path: the tables of the issue, and the path end to end with Rasa stopped."""

from __future__ import annotations

import pytest

from channels import emergency
from tests.channels.conftest import entries_added

# (language of the expected answer, message)
EMERGENCIES: list[tuple[str, str]] = [
    ("de", "Hilfe, mein Vater ist bewusstlos!"),
    ("de", "Es brennt in unserem Keller"),
    ("de", "Unfall auf der A45, zwei Autos, bitte schnell"),
    ("de", "Meine Frau hat einen Herzinfarkt"),
    ("de", "Mein Mann schlägt mich"),
    ("de", "Ich will mich umbringen"),
    ("de", "Ich habe Suizidgedanken"),
    ("de", "Notruf! Jemand liegt reglos auf der Straße"),
    ("de", "Das Kind atmet nicht mehr"),
    ("de", "Feuer im Treppenhaus!"),
    ("de", "Bei uns im Haus brennt es"),
    ("de", "Ich werde bedroht, bitte helfen Sie"),
    ("de", "Mein Nachbar ist zusammengebrochen"),
    ("de", "Verdacht auf Schlaganfall, was soll ich tun"),
    ("de", "Häusliche Gewalt – ich habe Angst"),
    ("de", "Ich kann so nicht mehr leben"),
    ("de", "BEWUSSTLOS"),
    ("de", "er ist bewußtlos"),
    ("de", "Wir brauchen einen Krankenwagen"),
    ("de", "Es gab einen Verkehrsunfall vor meinem Haus"),
    ("de", "Ohnmaechtig im Bad gefunden"),
    ("de", "Darf ich den Verletzten nach dem Unfall bewegen?"),
    ("de", "Ich stecke nach einem Unfall im Auto fest"),
    ("en", "Help, my father is unconscious"),
    ("en", "There is a fire in my kitchen"),
    ("en", "I think she is having a heart attack"),
    ("en", "My husband is beating me"),
    ("en", "I want to kill myself"),
    ("en", "Car crash on the B54, people hurt"),
    ("en", "He is not breathing"),
    ("en", "This is an emergency, please call an ambulance"),
    ("en", "Someone attacked me with a knife"),
    ("en", "My house is on fire"),
    ("en", "I want to report a fire"),
    ("en", "There was an accident at football practice"),
    ("tr", "Yardım edin, babam bayıldı"),
    ("tr", "Evde yangın var!"),
    ("tr", "Annem kalp krizi geçiriyor"),
    ("tr", "Kocam beni dövüyor"),
    ("tr", "Kendimi öldürmek istiyorum"),
    ("tr", "Trafik kazası oldu, yaralılar var"),
    ("tr", "Nefes almıyor, ne yapmalıyım"),
    ("tr", "İntihar etmeyi düşünüyorum"),
    ("tr", "Acil ambulans lazım"),
    ("tr", "Mutfakta yangin cikti"),
    ("ar", "أبي فاقد الوعي"),
    ("ar", "يوجد حريق في المنزل"),
    ("ar", "أمي تعاني من نوبة قلبية"),
    ("ar", "زوجي يضربني"),
    ("ar", "أريد أن أنتحر"),
    ("ar", "وقع حادث سير خطير"),
    ("ar", "ابني لا يتنفس"),
    ("ar", "نحتاج سيارة إسعاف بسرعة"),
    ("ar", "النجدة! شخص يهددني بسكين"),
    ("ar", "المطبخ يحترق"),
    ("uk", "Мій батько без свідомості"),
    ("uk", "У будинку пожежа!"),
    ("uk", "У мами серцевий напад"),
    ("uk", "Чоловік б’є мене"),
    ("uk", "Я хочу покінчити з собою"),
    ("uk", "Сталася аварія на дорозі, є постраждалі"),
    ("uk", "Дитина не дихає"),
    ("uk", "Викличте швидку, будь ласка"),
    ("uk", "Рятуйте, горить квартира"),
    ("uk", "Думаю про самогубство"),
    ("uk", "Аварія сталася годину тому"),
    ("ru", "Мой отец без сознания"),
    ("ru", "В доме пожар"),
    ("ru", "Муж бьёт меня"),
    ("ru", "Я хочу покончить с собой"),
    ("pl", "Mój ojciec jest nieprzytomny"),
    ("pl", "Pali się dom sąsiada"),
    ("pl", "Mąż bije mnie"),
    ("pl", "Myślę o samobójstwie"),
]

NOT_EMERGENCIES: list[str] = [
    "Wann ist das Feuerwehrfest in Iserlohn?",
    "Brauche ich eine Unfallversicherung für mein Ehrenamt?",
    "Notfallpraxis Öffnungszeiten",
    "Wo finde ich die Brandschutzverordnung?",
    "Feuerwerk Silvester Genehmigung",
    "Darf ich im Garten ein Feuer machen?",
    "Osterfeuer anmelden",
    "Unfallkasse NRW Adresse",
    "Ich möchte einen Unfallbericht anfordern",
    "Ich hatte gestern einen Unfall, brauche ich einen Bericht für die Versicherung?",
    "Rauchmelderpflicht in Mietwohnungen",
    "Wie lautet die Notrufnummer des Giftnotrufs?",
    "Gebühren für den Rettungsdienst",
    "Rechnung vom Krankenwagen erhalten, wer zahlt?",
    "Brandschutzerziehung in Kitas",
    "Waffenschein beantragen",
    "Erste-Hilfe-Kurs für den Führerschein",
    "Wie werde ich Mitglied der Freiwilligen Feuerwehr?",
    "Gewaltschutzgesetz Beratung",
    "Notfallseelsorge Ehrenamt",
    "Feuerwehrgerätehaus Neubau Kosten",
    "Zahnärztlicher Notdienst am Wochenende",
    "Unfallstatistik Märkischer Kreis 2023",
    "Öffnungszeiten Bürgerbüro Brandenburger Straße",
    "Wie lange brennt ein Osterfeuer?",
    "Notfallapotheke heute",
    "Brandversicherung für mein Haus",
    "When is the fire brigade festival?",
    "Do I need accident insurance?",
    "Emergency pharmacy opening hours",
    "Fire safety regulations for my shop",
    "How do I get a fireworks permit for New Year's Eve?",
    "Where can I report a traffic accident to my insurance?",
    "Yangın sigortası için hangi belgeler gerekli?",
    "Kaza raporu nereden alınır?",
    "Acil eczane çalışma saatleri",
    "Kazan bakımı için izin gerekir mi?",
    "ما هي مواعيد عمل صيدلية الطوارئ؟",
    "كيف أحصل على تأمين ضد الحريق؟",
    "أريد محادثة مع موظف",
    "كم سعر الدينار؟",
    "Де отримати довідку про ДТП для страхової?",
    "Правила пожежної безпеки для магазину",
    "Як швидко оформити паспорт?",
    "Справка о ДТП для страховой компании",
    "Ubezpieczenie od pożaru – jaki wniosek?",
    "Guten Tag, ich möchte mein Auto ummelden",
    "/restart",
]


def test_tables_are_as_large_as_the_issue_asks() -> None:
    core_languages = {"de", "en", "tr", "ar", "uk"}
    assert sum(language in core_languages for language, _ in EMERGENCIES) >= 40
    assert {language for language, _ in EMERGENCIES} >= core_languages
    assert len(NOT_EMERGENCIES) >= 40


@pytest.mark.parametrize(("language", "text"), EMERGENCIES)
def test_emergency_is_detected_in_its_language(language: str, text: str) -> None:
    match = emergency.detect(text)
    assert match is not None, text
    assert match.language == language


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_shared_words_do_not_trigger(text: str) -> None:
    assert emergency.detect(text) is None


@pytest.mark.parametrize("language", sorted(emergency.ANSWERS))
def test_every_answer_has_all_numbers(language: str) -> None:
    text = emergency.ANSWERS[language]
    for number in ("112", "110", "116117", "0800 111 0 111"):
        assert number in text, (language, number)


def test_normalisation_is_case_umlaut_and_spelling_insensitive() -> None:
    assert emergency.normalise("ÜBERFALL") == emergency.normalise("ueberfall") == "uberfall"
    assert emergency.normalise("Bewußtlos") == "bewusstlos"
    assert emergency.normalise("yangın") == emergency.normalise("YANGIN") == "yangin"
    assert emergency.normalise("إسعاف") == emergency.normalise("اسعاف")


def test_words_inside_compounds_do_not_match() -> None:
    assert emergency.detect("Feuerwehrfest") is None
    assert emergency.detect("Feuer") is not None
    assert emergency.detect("Unfallversicherung") is None
    assert emergency.detect("ein Unfall!") is not None


def test_strong_words_win_over_administrative_context() -> None:
    assert emergency.detect("Mein Mann schlägt mich, brauche ich einen Antrag?") is not None
    assert emergency.detect("Gab es einen Unfall? Ich brauche einen Antrag") is None


def test_language_hint_breaks_ties() -> None:
    match = emergency.detect("ДТП", language_hint="uk")
    assert match is not None and match.language == "uk"


async def test_every_emergency_is_answered_through_the_gateway_with_rasa_stopped(
        make_settings, start_gateway, http, sink, core, rdb, prefix) -> None:
    await core.stop()
    settings = make_settings()
    gateway = await start_gateway(settings)
    for number, (_, text) in enumerate(EMERGENCIES):
        status, _ = await gateway.send(http, user=f"user{number}", id=f"m{number}", text=text)
        assert status == 200
    await sink.wait_for(lambda: len(sink.deliveries) >= len(EMERGENCIES), timeout=20)
    for number, (language, _) in enumerate(EMERGENCIES):
        assert sink.texts(f"user{number}") == [emergency.ANSWERS[language]]
    for partition in range(settings.gateway_partitions):  # answered from the fast path, never queued
        assert await entries_added(rdb, f"{prefix}:in:{partition}") == 0
    assert core.requests == []
