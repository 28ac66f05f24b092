"""Inputs for the publish tests: a pipeline file with fewer epochs, and a deliberately harmful
copy of the topic files. Both are written deterministically, so the models trained from them
are cached per input hash like the test model (scripts/train.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ROOT / "nlu_data" / "topics"
# Topic -> the topic its examples are moved into (all but one, in every language).
MERGED = {"personalausweis": "reisepass", "wohnsitz_anmelden": "wohnsitz_abmelden",
          "wunschkennzeichen": "kfz_zulassung", "wohngeld": "elterngeld",
          "wertstoffhof": "sperrmuell_anmelden", "fuehrerschein_umtausch": "fuehrerschein_ersterteilung",
          "einbuergerung": "aufenthaltstitel", "bafoeg_schueler": "elterngeld"}


def fast_config(folder: Path) -> Path:
    """config.yml with one epoch per trained component: the same pipeline and decision, faster."""
    folder.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"(?m)^(\s*epochs:\s*)\d+", r"\g<1>1", (ROOT / "config.yml").read_text(encoding="utf-8"))
    path = folder / "config_fast.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _examples(block: dict) -> list[str]:
    return [line for line in str(block.get("examples") or "").splitlines() if line.strip().startswith("- ")]


def harmful_topics(folder: Path) -> Path:
    """A copy of nlu_data/topics where the examples of several topics moved into others."""
    out = folder / "topics"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(TOPICS, out)
    for source, target in MERGED.items():
        src_path, dst_path = out / f"{source}.yml", out / f"{target}.yml"
        src, dst = (yaml.safe_load(p.read_text(encoding="utf-8")) for p in (src_path, dst_path))
        moved: list[str] = []
        for number, block in enumerate(src["nlu"]):
            lines = _examples(block)
            keep = lines[:1] if number == 0 else []
            moved += lines[len(keep):]
            block["examples"] = "".join(f"{line}\n" for line in keep)
        src["nlu"] = [b for b in src["nlu"] if b["examples"]]
        dst["nlu"][0]["examples"] = str(dst["nlu"][0]["examples"]) + "".join(f"{line}\n" for line in moved)
        for path, data in ((src_path, src), (dst_path, dst)):
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out
