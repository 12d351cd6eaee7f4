"""出处 resolution. A question's 出处 text (``《中华人民共和国保守国家秘密法》第九条``, ``保密法第9条``)
resolves against the materials owned by the bank's unit or a unit above it (so everyone who can
use the bank can read the material): ``cite.parse_citation`` reads the text, ``cite.match_title``
picks the material among their titles (every edition's title counts), and the article is looked
up by number in the material's *current* edition. A policy text's section is cited by its ref
(``《意见》二、（三）``). A 出处 that names no article (``《中国共产党章程》``) has nothing to resolve
and is not reported; one that cites an article that cannot be found is reported, never guessed.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.materials.cite import match_title, parse_citation
from question_bank.materials.models import (
    Material,
    MaterialArticle,
    MaterialEdition,
)
from question_bank.messages import Message, N_
from question_bank.models import Bank
from question_bank.services import (
    _ancestor_ids,
    _org_units,
)


@dataclass(frozen=True)
class Resolution:
    article_id: int | None  # the article the 出处 means (None: unresolved, or nothing to resolve)
    problem: Message | None = None  # why a citation of an article could not be resolved


@dataclass(frozen=True)
class UnresolvedSource:
    """A 出处 of an import that cites an article nobody could find (a warning: the import goes on)."""

    line: int | None
    position: int
    source: str
    message: Message

    def __str__(self) -> str:
        where = f"第 {self.line} 行：" if self.line is not None else f"第 {self.position} 题："
        return f"{where}{self.message.text}"


_POLICY_CITATION_RE = re.compile(r"^\s*《(?P<title>[^《》]+)》\s*(?P<ref>\S.*?)\s*$")


class CitationResolver:
    """Resolves 出处 texts against a fixed set of materials, reading each material's articles once."""

    def __init__(self, session: Session, materials: Sequence[Material], *, prefer_unit_path: str = ""):
        self.session = session
        self.materials = [m for m in materials if m.current_edition_id is not None]
        depth = {uid: i for i, uid in enumerate(_ancestor_ids(prefer_unit_path))} if prefer_unit_path else {}
        # title -> materials with it, nearest owner first (a city's own copy wins over the province's)
        self.by_title: dict[str, list[Material]] = {}
        titles = {m.id: {m.title} for m in self.materials}
        if self.materials:
            for material_id, title in session.execute(
                select(MaterialEdition.material_id, MaterialEdition.title).where(
                    MaterialEdition.material_id.in_([m.id for m in self.materials]))
            ):
                if title:
                    titles[material_id].add(title)
        for m in sorted(self.materials, key=lambda m: (-depth.get(m.org_unit_id, -1), m.id)):
            for title in titles[m.id]:
                self.by_title.setdefault(title, []).append(m)
        self._articles: dict[int, dict[Any, int]] = {}
        self._cache: dict[str, Resolution] = {}

    @classmethod
    def for_unit(cls, session: Session, unit_id: int) -> CitationResolver:
        """Materials owned by the unit or a unit above it: what everyone using a bank of the unit can read."""
        path = session.scalar(select(_org_units.c.path).where(_org_units.c.id == unit_id)) or ""
        materials = list(session.scalars(select(Material).where(Material.org_unit_id.in_(_ancestor_ids(path) or [unit_id]))))
        return cls(session, materials, prefer_unit_path=path)

    def _lookup(self, material: Material) -> dict[Any, int]:
        if material.id not in self._articles:
            index: dict[Any, int] = {}
            for aid, kind, number, suffix, ref in self.session.execute(
                select(MaterialArticle.id, MaterialArticle.kind, MaterialArticle.number, MaterialArticle.suffix, MaterialArticle.ref)
                .where(MaterialArticle.edition_id == material.current_edition_id)
            ):
                index[(number, suffix) if kind == "article" else _ref_key(ref)] = aid
            self._articles[material.id] = index
        return self._articles[material.id]

    def material_for(self, cited_title: str | None) -> Material | None:
        title = match_title(cited_title, list(self.by_title))
        return self.by_title[title][0] if title is not None else None

    def resolve(self, source: str) -> Resolution:
        text = (source or "").strip()
        if not text:
            return Resolution(None)
        if text not in self._cache:
            self._cache[text] = self._resolve(text)
        return self._cache[text]

    def _resolve(self, text: str) -> Resolution:
        citation = parse_citation(text)
        if citation is None:
            m = _POLICY_CITATION_RE.match(text)
            if m:  # 《意见》二、（三）: a numbered section of a policy text
                material = self.material_for(m["title"])
                if material is not None:
                    aid = self._lookup(material).get(_ref_key(m["ref"]))
                    if aid is not None:
                        return Resolution(aid)
            return Resolution(None)  # names no article: nothing to resolve
        if not citation.title:
            return Resolution(None, Message(N_("出处“%(source)s”没有写明资料名称"), {"source": text}))
        material = self.material_for(citation.title)
        if material is None:
            return Resolution(None, Message(N_("出处“%(source)s”：找不到学习资料《%(title)s》，请先载入该资料"),
                                            {"source": text, "title": citation.title}))
        aid = self._lookup(material).get((citation.article, citation.suffix))
        if aid is None:
            return Resolution(None, Message(N_("出处“%(source)s”：《%(title)s》现行版本中没有%(label)s"),
                                            {"source": text, "title": material.title, "label": citation.label}))
        return Resolution(aid)


def _ref_key(ref: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", ref or ""))


def resolve_sources(session: Session, bank: Bank, items: Iterable[Any]) -> list[UnresolvedSource]:
    """For an import plan: set ``source_article_id`` on each planned item whose 出处 resolves, and
    list the ones that cite an article nobody could find (``importing.plan_import`` calls this)."""
    resolver: CitationResolver | None = None
    unresolved: list[UnresolvedSource] = []
    for item in items:
        source = (item.draft.source or "").strip()
        if not source:
            item.source_article_id = None
            continue
        if resolver is None:
            resolver = CitationResolver.for_unit(session, bank.org_unit_id)
        found = resolver.resolve(source)
        item.source_article_id = found.article_id
        if found.problem is not None:
            unresolved.append(UnresolvedSource(item.line, item.position, source, found.problem))
    return unresolved


def source_article_for(session: Session, bank: Bank, source: str) -> int | None:
    """The article a question's 出处 resolves to for a question of ``bank`` (``services`` calls this on save)."""
    if not (source or "").strip():
        return None
    return CitationResolver.for_unit(session, bank.org_unit_id).resolve(source).article_id


def citation_text(material: Material, article: MaterialArticle) -> str:
    """The 出处 to write for an article: ``《中华人民共和国保守国家秘密法》第九条``."""
    return f"《{material.title}》{article.ref}"
