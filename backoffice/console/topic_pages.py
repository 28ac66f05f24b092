"""HTML of the editors' pages: topics, one topic, editing an answer with channel previews, review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from backoffice.console.pages import csrf_field, e, when
from backoffice.content.preview import Preview
from backoffice.content.topics import LANGUAGE_LABELS, Topic, Variant
from backoffice.models import ContentChange

DUE = " <strong>(Prüfung fällig)</strong>"
TRAINING_NOTE = ("Geänderte Antworten gelten nach dem Speichern innerhalb von Sekunden, ohne Training. "
                 "Neue Beispielfragen und neue Themen wirken erst nach dem nächsten Training des Modells.")


def edit_url(topic: str, variant: Variant, mode: str = "edit") -> str:
    query = {"r": variant.response, "v": variant.index, **({"mode": mode} if mode != "edit" else {})}
    return f"/console/topics/{quote(topic)}/edit?" + urlencode(query)


def topic_list(topics: Sequence[Topic], query: str, today: dt.date, after_days: int, pending: int,
               reviewer: bool) -> str:
    rows = "".join(
        f'<tr{" class=overdue" if t.review_due(today, after_days) else ""}>'
        f'<td><a href="/console/topics/{e(t.id)}">{e(t.title)}</a><br><code>{e(t.id)}</code></td>'
        f"<td>{e(t.kind)}</td><td>{e(t.authority)}</td>"
        f"<td>{e(t.reviewed or 'fehlt')}{DUE if t.review_due(today, after_days) else ''}"
        f"</td><td>{sum(len(x) for x in t.examples.values())}</td><td>{len(t.answers)}</td></tr>"
        for t in topics)
    waiting = (f'<p role="status"><a href="/console/reviews">{pending} Änderung(en) warten auf Prüfung'
               "</a></p>" if pending and reviewer else "")
    return f"""{waiting}<p>{e(TRAINING_NOTE)}</p>
<form method="get" action="/console/topics" role="search">
<label for="q">Themen durchsuchen (Titel, Kennung, Beispielfrage, Antworttext)</label>
<input id="q" name="q" type="search" value="{e(query)}"><button type="submit">Suchen</button></form>
<p>Prüfung fällig: letzte Prüfung vor mehr als {after_days} Tagen.</p>
<table><caption>{len(topics)} Themen</caption><tr><th scope="col">Thema</th><th scope="col">Art</th>
<th scope="col">Zuständig</th><th scope="col">Geprüft am</th><th scope="col">Beispiele</th>
<th scope="col">Antworten</th></tr>{rows}</table>"""


def topic_detail(topic: Topic, today: dt.date, after_days: int, changes: Sequence[ContentChange],
                 can_edit: bool) -> str:
    due = DUE if topic.review_due(today, after_days) else ""
    sources = "".join(f'<li><a href="{e(s)}" rel="noreferrer">{e(s)}</a></li>' for s in topic.sources)
    facts = (f"<dl><dt>Kennung</dt><dd><code>{e(topic.id)}</code></dd><dt>Art</dt><dd>{e(topic.kind)}</dd>"
             f"<dt>Zuständig</dt><dd>{e(topic.authority)}</dd><dt>Geprüft am</dt>"
             f"<dd>{e(topic.reviewed or 'fehlt')}{due}</dd><dt>Quellen</dt><dd><ul>{sources}</ul></dd></dl>")
    answers = "".join(
        f"<tr><td>{e(v.label)}<br><code>{e(v.response)}</code>"
        f"{'<br>' + e(v.window) if v.window else ''}"
        f"{'' if topic.valid_today(v, today) else ' <strong>(heute nicht gültig)</strong>'}</td>"
        f'<td><pre class="answer">{e(v.text)}</pre>'
        + (f"<p>Knöpfe: {e(', '.join(str(b.get('title')) for b in v.buttons))}</p>" if v.buttons else "")
        + "</td><td>" + (f'<a href="{e(edit_url(topic.id, v))}">Bearbeiten</a><br>'
                         f'<a href="{e(edit_url(topic.id, v, "add"))}">Neue Variante mit Zeitraum</a>'
                         if can_edit else "")
        + "</td></tr>" for v in topic.answers)
    examples = "".join(
        f"<h3>{e(LANGUAGE_LABELS.get(lang, {'uk': 'Ukrainisch'}.get(lang, lang)))} ({len(lines)})</h3>"
        f"<ul>{''.join(f'<li>{e(x)}</li>' for x in lines)}</ul>" for lang, lines in topic.examples.items())
    pending = "".join(f"<li>{e(c.author)}, {when(c.created_at)}: {e(c.response)} {e(what(c))} – "
                      f"{e(STATUS_LABELS.get(c.status, c.status))}</li>" for c in changes)
    return (f"{facts}<p>{e(TRAINING_NOTE)}</p><h2>Antworten</h2>"
            '<table><tr><th scope="col">Variante</th><th scope="col">Text</th>'
            '<th scope="col">Aktion</th></tr>'
            f"{answers}</table><h2>Letzte Änderungen</h2><ul>{pending or '<li>Keine.</li>'}</ul>"
            f"<h2>Beispielfragen</h2><p>Beispielfragen ändern Sie in der Themendatei; sie wirken nach dem "
            f"nächsten Training.</p>{examples}")


STATUS_LABELS = {"pending": "wartet auf Prüfung", "applied": "live", "rejected": "abgelehnt",
                 "conflict": "verworfen (inzwischen geändert)"}


def what(change: ContentChange) -> str:
    """Which variant a change concerns and how, in a few words."""
    number = change.variant + 1
    return {"add": f"neue Variante nach Variante {number}",
            "delete": f"Variante {number} löschen"}.get(change.kind, f"Variante {number}")


def window_text(stored: str | None) -> str:
    """A stored ``from/until`` window as editors read it."""
    start, _, end = (stored or "").partition("/")
    if not start and not end:
        return "immer gültig"
    return " ".join(part for part in (f"ab {german_day(start)}" if start else "",
                                      f"bis {german_day(end)}" if end else "") if part)


def german_day(iso: str) -> str:
    try:
        return dt.date.fromisoformat(iso).strftime("%d.%m.%Y")
    except ValueError:
        return iso


def _preview_html(preview: Preview) -> str:
    web = "".join(f'<li><pre class="answer">{e(b.get("text", ""))}</pre>'
                  + "".join(f"<span class=chip>{e(x['title'])}</span> " for x in b.get("buttons", []))
                  + "</li>" for b in preview.webchat)
    telegram = "".join(f'<li><pre class="answer">{e(b.get("text", ""))}</pre>'
                       + "".join(f"<span class=chip>{e(row[0]['text'])}</span> "
                                 for row in b.get("inline_keyboard", []))
                       + "</li>" for b in preview.telegram)
    sms = "".join(f'<li><pre class="answer">{e(b["text"])}</pre><p>{e(b["encoding"])}, '
                  f'{b["segments"]} Segment(e){_more(b)}</p></li>' for b in preview.sms)
    return (f'<section aria-labelledby="h-vorschau"><h2 id="h-vorschau">Vorschau</h2>'
            f'<h3>Web-Chat</h3><ol class="preview" id="preview-webchat">{web}</ol>'
            f'<h3>Telegram ({len(preview.telegram)} Nachricht(en))</h3>'
            f'<ol class="preview" id="preview-telegram">{telegram}</ol>'
            f'<h3>SMS</h3><ol class="preview" id="preview-sms">{sms}</ol></section>')


def _more(body: dict) -> str:
    more = body.get("more") or []
    if not more:
        return ""
    return f"; dazu {len(more)} weitere Teil(e) auf „WEITER“ – die Antwort überschreitet das SMS-Budget"


WINDOW_NOTE = ("Zeitraum (optional): an diesen Tagen, jeweils einschließlich, gilt die Variante; leer = ohne "
               "Anfang bzw. Ende. Gilt an einem Tag eine Variante mit Zeitraum, erhalten Bürgerinnen und "
               "Bürger sie statt der gleichartigen Variante ohne Zeitraum.")
ADD_NOTE = ("Neue Variante mit Zeitraum: eine Kopie dieser Variante (gleiche Sprache, gleicher Kanal) mit "
            "eigenem Text, die nur im angegebenen Zeitraum gilt, z. B. Öffnungszeiten an Feiertagen. "
            "Die bisherige Variante bleibt unverändert. Geben Sie mindestens ein Datum an.")


def _hidden(variant: Variant, seen: str, seen_window: tuple[str, str], mode: str) -> str:
    return (f'<input type="hidden" name="r" value="{e(variant.response)}">'
            f'<input type="hidden" name="v" value="{variant.index}">'
            f'<input type="hidden" name="seen" value="{e(seen)}">'
            f'<input type="hidden" name="seen_from" value="{e(seen_window[0])}">'
            f'<input type="hidden" name="seen_until" value="{e(seen_window[1])}">'
            f'<input type="hidden" name="mode" value="{e(mode)}">')


def edit_form(topic: Topic, variant: Variant, text: str, seen: str, csrf: str, preview: Preview | None,
              four_eyes: bool, mark_reviewed: bool, window: tuple[str, str] = ("", ""),
              seen_window: tuple[str, str] = ("", ""), mode: str = "edit") -> str:
    """The edit form; ``mode`` "add" makes it the form of a new dated variant after ``variant``."""
    action = f"/console/topics/{quote(topic.id)}/edit"
    save_label = "Zur Prüfung einreichen" if four_eyes else "Speichern (sofort live)"
    note = ("Vier-Augen-Prüfung ist eingeschaltet: Ihre Änderung gilt erst, wenn eine andere Person mit der "
            "Rolle Prüfer sie freigibt." if four_eyes else TRAINING_NOTE)
    adding = mode == "add"
    current = f"<p>Zeitraum bisher: {e(variant.window or 'immer gültig')}</p>"
    delete = ""
    if not adding and (seen_window[0] or seen_window[1]):
        delete = (f'<h2>Variante löschen</h2><p>Eine Variante mit Zeitraum, die nicht mehr gebraucht wird '
                  f'(z. B. abgelaufene Feiertagszeiten), können Sie löschen.</p>'
                  f'<form method="post" action="{e(action)}">{csrf_field(csrf)}'
                  f"{_hidden(variant, seen, seen_window, 'delete')}"
                  f'<button type="submit" name="action" value="save">Variante löschen'
                  f'{" (zur Prüfung einreichen)" if four_eyes else ""}</button></form>')
    add_link = e(edit_url(topic.id, variant, "add"))
    more = "" if adding else (f'<p><a href="{add_link}">Neue Variante mit Zeitraum'
                              "</a> (z. B. Öffnungszeiten an Feiertagen), die bisherige bleibt.</p>")
    return f"""<p>{e(topic.title)} · {e(variant.label)} · <code>{e(variant.response)}</code></p>
<p>{e(note)}</p>{f"<p>{e(ADD_NOTE)}</p>" if adding else ""}
<h2>Bisher</h2><pre class="answer">{e(variant.text)}</pre>{current}
<form method="post" action="{e(action)}">{csrf_field(csrf)}
{_hidden(variant, seen, seen_window, mode)}
<label for="answer-text">{"Text der neuen Variante" if adding else "Neuer Antworttext"}</label>
<textarea id="answer-text" name="text" rows="12" maxlength="4000" required>{e(text)}</textarea>
<fieldset><legend>Zeitraum</legend><p>{e(WINDOW_NOTE)}</p>
<label for="valid-from">Gültig ab</label>
<input id="valid-from" name="valid_from" type="date" value="{e(window[0])}">
<label for="valid-until">Gültig bis</label>
<input id="valid-until" name="valid_until" type="date" value="{e(window[1])}"></fieldset>
<label><input type="checkbox" name="reviewed" value="1"{" checked" if mark_reviewed else ""}>
 Fakten geprüft: Prüfdatum auf heute setzen</label>
<button type="submit" name="action" value="preview">Vorschau</button>
<button type="submit" name="action" value="save">{e(save_label)}</button>
</form>{_preview_html(preview) if preview else ""}{more}{delete}
<p><a href="/console/topics/{e(topic.id)}">Zurück zum Thema</a></p>"""


def reviews(changes: Sequence[ContentChange], me: str, csrf: str) -> str:
    if not changes:
        return "<p>Keine Änderungen warten auf Prüfung.</p>"
    items = []
    for c in changes:
        own = c.author == me
        buttons = ("<p>Eigene Änderung: eine andere Person muss sie prüfen.</p>" if own else
                   f'<form method="post" action="/console/reviews/{c.id}">{csrf_field(csrf)}'
                   '<button type="submit" name="decision" value="approve">Freigeben (geht live)</button> '
                   '<button type="submit" name="decision" value="reject">Ablehnen</button></form>')
        reviewed = "<p>Prüfdatum wird auf den Tag der Freigabe gesetzt.</p>" if c.mark_reviewed else ""
        before = ("<h3>Bisher</h3><p>(keine: neue Variante)</p>" if c.kind == "add" else
                  f'<h3>Bisher</h3><pre class="answer">{e(c.before)}</pre>'
                  f"<p>Zeitraum: {e(window_text(c.window_before))}</p>")
        after_window = c.window_after if c.window_after is not None else c.window_before
        after = ("<h3>Neu</h3><p>(keine: die Variante wird gelöscht)</p>" if c.kind == "delete" else
                 f'<h3>Neu</h3><pre class="answer">{e(c.after)}</pre>'
                 f"<p>Zeitraum: {e(window_text(after_window))}</p>")
        items.append(f'<section aria-labelledby="change-{c.id}"><h2 id="change-{c.id}">'
                     f'<a href="/console/topics/{e(c.topic)}">{e(c.topic)}</a> · {e(c.response)} '
                     f"{e(what(c))}</h2><p>Von {e(c.author)}, {when(c.created_at)}</p>"
                     f"{before}{after}{reviewed}{buttons}</section>")
    return "".join(items)
