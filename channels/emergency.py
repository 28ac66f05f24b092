"""Emergency fast path: acute danger is answered at once with the emergency numbers.

It runs in the webhook, before a message is queued, so it answers while
Rasa is down, while a form is open and while earlier messages of the same
conversation are still waiting in their partition.

Decision: an emergency message is answered from here and NOT forwarded to
Rasa. The answer is complete on its own (numbers, in the citizen's language),
nothing the bot could add is worth a delay or a contradicting answer, and it
works the same with Rasa up or down. Because a false alarm then swallows a
question, the answer ends by asking the citizen to write again if it was not
an emergency, and the matcher is built to avoid false alarms:

* Matching is on whole words after normalisation (case-folded, accents and
  umlauts removed, ``ä``/``ae`` alike), so ``Feuerwehrfest`` or
  ``Unfallversicherung`` never contain the word ``feuer``/``unfall``.
* STRONG phrases ("bewusstlos", "es brennt", "kill myself") always trigger.
* WEAK words ("Unfall", "Feuer", "Notfall", "Gewalt") trigger unless the
  message is plainly administrative (CALM words: Genehmigung, Versicherung,
  Öffnungszeiten, permit, sigorta, ...) – "Darf ich im Garten ein Feuer
  machen? Braucht man eine Genehmigung?" is a question, not a fire.

Phrase syntax: words separated by spaces must follow each other (any
punctuation between); ``...`` allows up to three words in between; ``*`` at
a word's end or start allows any suffix or prefix (for inflection, and for
Arabic's attached articles and prepositions).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from channels.messages import Text

# --- normalisation -------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "‘": "'"})
_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ة": "ه", "ى": "ي", "ـ": None})
_DIGRAPHS = re.compile(r"(?<=[aou])e")  # ae -> a, oe -> o, ue -> u (after the umlauts are gone)


def normalise(text: str) -> str:
    """Lower case without accents, ``ß``, umlaut spellings, Arabic letter variants or tatweel."""
    text = text.casefold().translate(_APOSTROPHES)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn")
    text = _DIGRAPHS.sub("", text.translate(_LETTERS))
    return " ".join(text.split())


def _compile(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    alternatives = []
    for phrase in phrases:
        parts = []
        for word in normalise(phrase).split():
            if word == "...":
                parts.append(r"(?:\W+\w+){0,3}")
                continue
            head, core, tail = word.startswith("*"), word.strip("*"), word.endswith("*")
            parts.append(r"\W+" + (r"\w*" if head else "") + re.escape(core) + (r"\w*" if tail else ""))
        alternatives.append("".join(parts)[3:])  # drop the leading \W+
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


@dataclass(frozen=True)
class Lexicon:
    language: str
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    calm: tuple[str, ...]


# --- word lists ----------------------------------------------------------------------------

LEXICONS: tuple[Lexicon, ...] = (
    Lexicon(
        "de",
        strong=(
            "notruf", "lebensgefahr", "akute gefahr", "es brennt", "brennt es", "in flammen",
            "haus brennt", "wohnung brennt", "auto brennt", "kuche brennt", "mit einem messer",
            "mit einer waffe", "messerangriff", "bedroht mich mit",
            "wohnungsbrand", "hausbrand", "zimmerbrand", "kuchenbrand", "waldbrand", "verkehrsunfall",
            "autounfall", "massenkarambolage", "verungluckt", "schwer verletzt", "schwerverletzt",
            "bewusstlos", "ohnmachtig", "kollabiert", "zusammengebrochen", "atmet nicht",
            "atmet ... nicht mehr", "keine luft", "erstickt", "herzinfarkt", "herzstillstand",
            "schlaganfall", "wiederbelebung", "reanimation", "krampfanfall", "blutet", "starke blutung",
            "vergiftung", "vergiftet", "uberdosis", "ertrinkt", "ertrinken", "suizid", "suizidal",
            "suizidgedanken", "selbstmord", "selbstmordgedanken", "umbringen", "mich toten",
            "nicht mehr leben", "mein leben beenden", "lebensmude", "vergewaltigt", "vergewaltigung",
            "schlagt mich", "schlagt meine", "schlagt uns", "verprugelt", "misshandelt",
            "bedroht mich", "bedroht uns", "werde bedroht", "hausliche gewalt", "uberfallen",
        ),
        weak=(
            "notfall", "unfall", "unfalle", "feuer", "brand", "brennt", "brennen", "rauch", "gewalt",
            "uberfall", "einbruch", "einbrecher", "notarzt", "rettungswagen", "krankenwagen",
            "rettungsdienst", "ruf* ... feuerwehr",
            "feuerwehr ... ruf*", "ruf* ... polizei", "polizei ... ruf*", "hilfe hilfe",
        ),
        calm=(
            "genehmigung*", "genehmigen", "antrag", "antrage", "beantragen", "formular*", "versicherung*",
            "versichert", "bescheinigung*", "gebuhr*", "kosten", "rechnung*", "bescheid", "offnungszeit*",
            "geoffnet", "sprechzeit*", "erlaubt", "erlaubnis", "feuer machen", "feuer anmachen",
            "feuer anzunden", "grillen",
            "verordnung*", "vorschrift*", "statistik*", "kurs*", "seminar*", "schulung*", "ubung*",
            "veranstaltung*", "ehrenamt*", "mitglied*", "ausbildung*", "bericht*", "gutachten",
            "zuschuss", "bewerbung*", "apotheke*", "zahnarzt*", "praxis", "osterfeuer*",
            "lagerfeuer*", "brauchtumsfeuer*", "martinsfeuer*",
        ),
    ),
    Lexicon(
        "en",
        strong=(
            "heart attack", "unconscious", "passed out", "not breathing", "stopped breathing",
            "can't breathe", "cant breathe", "cannot breathe", "overdose", "bleeding", "suicide",
            "suicidal", "kill myself", "killing myself", "end my life", "want to die", "hurt myself",
            "kill me", "going to kill", "raped", "rape", "attacked me", "being attacked", "beating me",
            "beats me", "hits me", "hitting me", "stabbed", "on fire", "is burning", "house fire",
            "car crash", "call 112", "call an ambulance", "call the police", "call the fire brigade",
            "call the fire department", "drowning", "poisoned",
            "seizure", "collapsed", "fainted", "in danger", "life threatening", "domestic violence",
        ),
        weak=(
            "emergency", "accident", "fire", "smoke", "crash", "ambulance", "stroke", "violence", "knife",
            "gun", "injured", "help help",
        ),
        calm=(
            "insurance", "permit*", "permission", "allowed", "application", "apply", "form", "forms",
            "fee", "fees", "cost*", "bill", "bills", "opening hours", "festival", "safety", "regulation*",
            "inspection*", "statistics", "certificate*", "pharmacy", "dentist", "volunteer*",
            "fire station", "requirement*",
        ),
    ),
    Lexicon(
        "tr",
        strong=(
            "kalp krizi", "bilincsiz", "baygin", "bayildi", "bayiliyor", "nefes almiyor",
            "nefes alamiyor", "nefes alamiyorum", "intihar", "kendimi oldur*", "olmek istiyorum",
            "beni dov*", "beni oldurecek", "tecavuz*", "bicakla*", "yaniyor", "yangin var",
            "yangin cikti", "ambulans cagir*", "polis cagir*", "polisi arayin", "kan kaybediyor",
            "cok kan", "kaniyor", "zehirlendi", "boguluyor", "kaza gecirdi", "kaza yaptim", "kaza oldu",
            "imdat", "acil yardim",
        ),
        weak=(
            "yangin", "yangini", "yanginda", "kaza", "kazasi", "kazada", "kazaya", "acil durum",
            "acil servis", "siddet", "ambulans", "yarali", "yaralandi",
        ),
        calm=(
            "sigorta*", "yonetmelik*", "izin*", "basvuru*", "belge*", "ucret*", "calisma saat*",
            "egitim*", "kurs*", "rapor*", "form", "formu", "tatbikat*", "guvenlik*", "eczane*",
        ),
    ),
    Lexicon(
        "ar",
        strong=(
            "نوبة قلبية", "أزمة قلبية", "*جلطة", "فاقد الوعي", "فقد الوعي", "مغمى عليه", "أغمي عليه",
            "لا يتنفس", "لا تتنفس", "لا أستطيع التنفس", "*ينزف", "*نزيف", "*انتحار", "انتحر",
            "أقتل نفسي", "انهي حياتي", "أنهي حياتي", "أريد أن أموت", "يضربني", "يضربنا", "*اغتصاب",
            "اغتصبني", "يهددني", "يحترق", "تحترق", "*تسمم", "يغرق", "في خطر", "*النجدة",
            "اتصلوا بالشرطة", "اتصلوا بالإسعاف", "عنف أسري", "حريق في",
        ),
        weak=(
            "*حريق", "نار", "النار", "بالنار", "حادث", "الحادث", "بحادث", "حادثة", "الحادثة", "*إسعاف",
            "*طوارئ", "*عنف", "ساعدوني", "*سكين", "*سلاح",
        ),
        calm=(
            "*تأمين", "*تصريح", "*رخصة", "*رسوم", "*مواعيد", "*دوام", "*نموذج", "*شهادة",
            "*سلامة", "*تدريب", "*صيدلية", "*تقرير",
        ),
    ),
    Lexicon(
        "uk",
        strong=(
            "горить", "горимо", "палає", "викличте швидку", "швидку допомогу", "без свідомості",
            "знепритомнів", "знепритомніла", "втратив свідомість", "втратила свідомість", "не дихає",
            "не можу дихати", "серцевий напад", "інфаркт", "інсульт", "кровотеча", "стікає кров'ю",
            "самогубство", "суїцид", "вбити себе", "покінчити з собою", "не хочу жити", "б'є мене",
            "б'є нас", "зґвалтування", "зґвалтував*", "рятуйте", "викличте поліцію", "отруєння",
            "потрапив в аварію", "потрапила в аварію",
        ),
        weak=(
            "пожежа", "пожежу", "пожежі", "пожежею", "аварія", "аварію", "аварії", "дтп", "швидка допомога",
            "насильство", "ножем", "зброя", "тоне", "погрожує", "надзвичайна ситуація",
        ),
        calm=(
            "страхуванн*", "страхов*", "дозвіл*", "довідк*", "заява", "заяви", "заяву", "форм*",
            "години роботи", "графік*",
            "безпек*", "навчанн*", "курс*", "вартість", "оплат*", "правил*",
        ),
    ),
    Lexicon(
        "ru",
        strong=(
            "горит", "горим", "вызовите скорую", "скорую помощь", "без сознания", "потерял сознание",
            "потеряла сознание", "не дышит", "не могу дышать", "сердечный приступ", "инфаркт", "инсульт",
            "кровотечение", "самоубийство", "суицид", "убить себя", "покончить с собой", "не хочу жить",
            "бьет меня", "избивает", "изнасил*", "спасите", "вызовите полицию", "отравление",
        ),
        weak=("пожар", "пожара", "пожаре", "авария", "аварию", "аварии", "дтп", "скорая", "насилие",
              "тонет", "угрожает"),
        calm=("страхов*", "разрешени*", "справк*", "заявлен*", "форм*", "часы работы", "график*",
              "безопасност*", "обучени*", "курс*", "оплат*", "стоимост*", "правил*"),
    ),
    Lexicon(
        "pl",
        strong=(
            "pali sie", "wezwij* karetke", "nieprzytomn*", "zemdlal*", "nie oddycha", "zawal serca",
            "krwawi*", "samobojstw*", "zabic sie", "nie chce zyc", "bije mnie", "zgwalc*", "ratunku",
            "wezwij* policje", "zatrucie",
        ),
        weak=("pozar", "pozaru", "pozarze", "wypadek", "wypadku", "karetk*", "udar", "przemoc", "tonie"),
        calm=("ubezpieczen*", "pozwoleni*", "zaswiadczeni*", "wniosk*", "wniosek", "formularz*",
              "godziny otwarcia", "bezpieczenstw*", "szkoleni*", "kurs*", "oplat*", "przepis*"),
    ),
)

_ORDER = tuple(lexicon.language for lexicon in LEXICONS)


@dataclass(frozen=True)
class _Compiled:
    language: str
    strong: re.Pattern[str] | None
    weak: re.Pattern[str] | None


@cache
def _compiled() -> tuple[tuple[_Compiled, ...], re.Pattern[str] | None]:
    lexicons = tuple(_Compiled(x.language, _compile(x.strong), _compile(x.weak)) for x in LEXICONS)
    calm = _compile(tuple(phrase for x in LEXICONS for phrase in x.calm))
    return lexicons, calm


@dataclass(frozen=True)
class EmergencyMatch:
    language: str  # language of the words that matched: the answer's language
    strong: bool


def detect(text: str | None, language_hint: str | None = None) -> EmergencyMatch | None:
    """The emergency in ``text``, or ``None`` (the normal case: no emergency)."""
    if not text:
        return None
    normal = normalise(text)
    lexicons, calm_pattern = _compiled()
    calm = bool(calm_pattern and calm_pattern.search(normal))
    found: list[EmergencyMatch] = []
    for lexicon in lexicons:
        if lexicon.strong and lexicon.strong.search(normal):
            found.append(EmergencyMatch(lexicon.language, strong=True))
        elif lexicon.weak and not calm and lexicon.weak.search(normal):
            found.append(EmergencyMatch(lexicon.language, strong=False))
    if not found:
        return None
    ukrainian = any(letter in text.casefold() for letter in "іїєґ")
    return min(found, key=lambda m: (not m.strong, _language_rank(m.language, ukrainian, language_hint)))


def _language_rank(language: str, ukrainian_letters: bool, hint: str | None) -> tuple[int, int, int]:
    """Prefer the hinted language, then Ukrainian over Russian by its letters, then list order."""
    hinted = 0 if hint and hint.casefold().startswith(language) else 1
    script = int((language == "uk" and not ukrainian_letters) or (language == "ru" and ukrainian_letters))
    return hinted, script, _ORDER.index(language)


# --- the answer ----------------------------------------------------------------------------

ANSWERS: dict[str, str] = {
    "de": (
        "Wenn Sie oder jemand anderes in Gefahr sind: Rufen Sie sofort den Notruf 112 (Feuerwehr und "
        "Rettungsdienst) oder 110 (Polizei) an. Ärztlicher Bereitschaftsdienst: 116117. "
        "Telefonseelsorge, rund um die Uhr und kostenlos: 0800 111 0 111. Hilfetelefon Gewalt gegen "
        "Frauen: 116 016. Ist es kein Notfall? Dann schreiben Sie mir Ihre Frage bitte noch einmal."
    ),
    "en": (
        "If you or someone else is in danger, call 112 now (fire brigade and ambulance) or 110 (police). "
        "Out-of-hours doctor: 116117. Crisis line (Telefonseelsorge, free, day and night): "
        "0800 111 0 111. Helpline for women facing violence: 116 016. Not an emergency? Then please "
        "send me your question again."
    ),
    "tr": (
        "Siz veya başka biri tehlikedeyse hemen 112'yi (itfaiye ve ambulans) ya da 110'u (polis) arayın. "
        "Nöbetçi doktor: 116117. Telefonla ruhsal destek (Telefonseelsorge, ücretsiz, 7/24): "
        "0800 111 0 111. Şiddete maruz kalan kadınlar için yardım hattı: 116 016. Acil bir durum "
        "değilse sorunuzu lütfen tekrar yazın."
    ),
    "ar": (
        "إذا كنت أنت أو أي شخص آخر في خطر، اتصل فورًا بالرقم 112 (الإطفاء والإسعاف) أو 110 (الشرطة). "
        "الطبيب المناوب: 116117. خط الدعم النفسي (Telefonseelsorge، مجاني وعلى مدار الساعة): "
        "0800 111 0 111. خط مساعدة النساء المعرضات للعنف: 116 016. إذا لم تكن حالة طارئة، "
        "يرجى كتابة سؤالك مرة أخرى."
    ),
    "uk": (
        "Якщо вам або комусь іншому загрожує небезпека, негайно телефонуйте 112 (пожежна служба та "
        "швидка допомога) або 110 (поліція). Черговий лікар: 116117. Телефон довіри (Telefonseelsorge, "
        "безкоштовно, цілодобово): 0800 111 0 111. Гаряча лінія для жінок, які зазнають насильства: "
        "116 016. Якщо це не надзвичайна ситуація, напишіть, будь ласка, своє питання ще раз."
    ),
    "ru": (
        "Если вам или кому-то другому грозит опасность, немедленно звоните 112 (пожарные и скорая "
        "помощь) или 110 (полиция). Дежурный врач: 116117. Телефон доверия (Telefonseelsorge, "
        "бесплатно, круглосуточно): 0800 111 0 111. Горячая линия для женщин, пострадавших от "
        "насилия: 116 016. Если это не экстренный случай, пожалуйста, напишите свой вопрос ещё раз."
    ),
    "pl": (
        "W razie zagrożenia prosimy natychmiast zadzwonić pod numer 112 (straż pożarna i pogotowie "
        "ratunkowe) lub 110 (policja). Dyżur lekarski: 116117. Telefon zaufania (Telefonseelsorge, "
        "bezpłatny, całodobowy): 0800 111 0 111. Telefon pomocy dla kobiet doświadczających przemocy: "
        "116 016. Jeśli to nie jest nagły wypadek, prosimy napisać pytanie jeszcze raz."
    ),
}


def answer(match: EmergencyMatch) -> Text:
    return Text(ANSWERS.get(match.language, ANSWERS["de"]))
