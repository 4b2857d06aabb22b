"""Deciding each source's final splits, including when split names clash across sources.

The rule, in the order it is applied to each source:
1. A split override ({source: split}) sends every document of that source to that split.
2. Documents whose source says nothing about splits go to the split the source's own name
   says (`train.csv`, `ptb.valid.txt`, a folder called `dev`), else to train.
3. Clash: when two or more sources provide `test` and none provides `valid`, the `test` part
   of each source that also provides `train` becomes `valid`, provided some other source still
   provides `test`. This is how datasets are usually shipped: a training archive with its own
   held-out part, plus a separate test archive (NTC-SCV: data_train.zip with train/ + test/ and
   data_test.zip with test/ give train / valid / test).
Any other clash merges: documents from several sources that name the same split share it.
Every decision is written as a note on the source, so the user can see why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lstm_studio.core.dataset import SPLITS
from lstm_studio.core.readers.common import split_alias

_NAME_WORDS = re.compile(r"[^a-z]+")


@dataclass
class SplitPlan:
    """One source as the rule sees it; `mapping` and `notes` are filled in by `decide`."""

    name: str
    provided: set[str | None]  # the splits its documents carry; None = not said
    override: str | None = None
    name_hint: str | None = None
    mapping: dict[str | None, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def split_from_name(stem: str) -> str | None:
    """The split a file or folder name names as a whole word ('ptb.valid', 'test'), if one."""
    words = {split_alias(word) for word in _NAME_WORDS.split(stem.lower()) if word}
    words.discard(None)
    return words.pop() if len(words) == 1 else None


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def decide(plans: list[SplitPlan]) -> None:
    for plan in plans:
        if plan.override:
            plan.mapping = {split: plan.override for split in plan.provided}
            plan.notes.append(f"all documents go to {plan.override} (split override)")
            continue
        plan.mapping = {split: split for split in plan.provided if split}
        if None in plan.provided:
            target = plan.name_hint or "train"
            plan.mapping[None] = target
            reason = "as its name says" if plan.name_hint else "as it names no split"
            which = "all documents" if len(plan.provided) == 1 else "documents with no split"
            plan.notes.append(f"{which} go to {target}, {reason}")
    _resolve_test_clash(plans)


def _outputs(plan: SplitPlan) -> set[str]:
    return set(plan.mapping.values())


def _resolve_test_clash(plans: list[SplitPlan]) -> None:
    if any("valid" in _outputs(plan) for plan in plans):
        return
    testers = [plan for plan in plans if "test" in _outputs(plan)]
    if len(testers) < 2:
        return
    movers = [plan for plan in testers
              if not plan.override and "train" in _outputs(plan) and "test" in plan.provided]
    stayers = [plan for plan in testers if plan not in movers]
    if not movers or not stayers:
        names = _join([plan.name for plan in testers])
        for plan in testers:
            plan.notes.append(f"its test documents are merged with those of {names}")
        return
    others = _join([plan.name for plan in stayers])
    verb = "provides" if len(stayers) == 1 else "provide"
    for plan in movers:
        plan.mapping = {split: ("valid" if (split == "test" and target == "test") else target)
                        for split, target in plan.mapping.items()}
        plan.notes.append(
            f"its test split becomes valid, because {others} also {verb} test and no source "
            "provides valid"
        )


def check_override(value: str) -> str | None:
    """The canonical split for an override value, or None when it names none."""
    split = split_alias(value)
    return split if split in SPLITS else None
