"""Reading study materials: article search across the materials a cadre may read, the articles a
question cites, one edition's articles and the search inside it, and highlighting the hits.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from question_bank.materials.models import Material, MaterialArticle, MaterialEdition
from question_bank.materials.services import materials_visible_to
from question_bank.materials.sources import CitationResolver, citation_text
from question_bank.models import QuestionVersion
from question_bank.services import Actor, _chunks

SEARCH_LIMIT = 20


@dataclass
class ArticleHit:
    article: MaterialArticle
    material: Material
    edition: MaterialEdition

    @property
    def citation(self) -> str:
        return citation_text(self.material, self.article)

    def as_json(self, snippet: int = 120) -> dict[str, Any]:
        text = self.article.text
        return {
            "id": self.article.id, "material_id": self.material.id, "material_title": self.material.title,
            "edition": self.edition.label, "ref": self.article.ref, "citation": self.citation,
            "text": text if len(text) <= snippet else text[:snippet] + "…", "anchor": self.article.anchor,
        }


def search_articles(session: Session, actor: Actor | None, q: str, *, limit: int = SEARCH_LIMIT,
                    material_id: int | None = None) -> list[ArticleHit]:
    """Articles of the current editions of the materials ``actor`` may read, for the 出处 picker.

    A citation (``保密法第九条``) finds its article first; then every word of ``q`` (split at
    spaces) must occur in the article's text, its label or its material's title.
    """
    raw = (q or "").strip()
    if not raw:
        return []
    materials = materials_visible_to(session, actor)
    if material_id is not None:
        materials = [m for m in materials if m.id == material_id]
    materials = [m for m in materials if m.current_edition_id is not None]
    if not materials:
        return []
    by_id = {m.id: m for m in materials}
    hits: list[ArticleHit] = []
    seen: set[int] = set()
    resolver = CitationResolver(session, materials, prefer_unit_path=actor.org_unit.path if actor is not None else "")
    exact = resolver.resolve(raw).article_id
    if exact is not None:
        article = session.get(MaterialArticle, exact)
        hits.append(ArticleHit(article, by_id[article.edition.material_id], article.edition))
        seen.add(article.id)
    stmt = (
        select(MaterialArticle, Material, MaterialEdition)
        .join(MaterialEdition, MaterialEdition.id == MaterialArticle.edition_id)
        .join(Material, Material.current_edition_id == MaterialEdition.id)
        .where(Material.id.in_(list(by_id)))
    )
    for word in raw.split():
        stmt = stmt.where(or_(
            MaterialArticle.text.icontains(word, autoescape=True),
            MaterialArticle.ref == word,
            Material.title.icontains(word, autoescape=True),
        ))
    for article, material, edition in session.execute(stmt.order_by(Material.title, Material.id, MaterialArticle.position).limit(limit + 1)):
        if article.id not in seen:
            hits.append(ArticleHit(article, material, edition))
            seen.add(article.id)
    return hits[:limit]


def cited_articles(session: Session, version_ids: Iterable[int]) -> dict[int, ArticleHit]:
    """{version id: the article its 出处 cites} for showing the article's text next to an explanation
    (practice feedback, post-contest review). Versions without a resolved 出处 are left out."""
    ids = sorted(set(version_ids))
    found: dict[int, ArticleHit] = {}
    for chunk in _chunks(ids):
        for vid, article, edition, material in session.execute(
            select(QuestionVersion.id, MaterialArticle, MaterialEdition, Material)
            .join(MaterialArticle, MaterialArticle.id == QuestionVersion.source_article_id)
            .join(MaterialEdition, MaterialEdition.id == MaterialArticle.edition_id)
            .join(Material, Material.id == MaterialEdition.material_id)
            .where(QuestionVersion.id.in_(chunk))
        ):
            found[vid] = ArticleHit(article, material, edition)
    return found


def edition_articles(session: Session, edition: MaterialEdition) -> list[MaterialArticle]:
    return list(session.scalars(select(MaterialArticle).where(MaterialArticle.edition_id == edition.id).order_by(MaterialArticle.position)))


def highlight(text: str, q: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) for showing a search: every word of ``q`` is marked, case
    and width folded (``ＡＢ`` finds ``ab``). The pieces join back to ``text`` exactly."""
    words = [w for w in unicodedata.normalize("NFKC", q or "").split() if w]
    if not text or not words:
        return [(text, False)] if text else []
    folded = [unicodedata.normalize("NFKC", ch).casefold() for ch in text]
    # each character folds to one or more; match on the folded string and map back per character
    flat = "".join(folded)
    owner: list[int] = []
    for i, piece in enumerate(folded):
        owner.extend([i] * len(piece))
    marked = [False] * len(text)
    for word in words:
        needle = word.casefold()
        start = flat.find(needle)
        while start != -1:
            for k in range(start, start + len(needle)):
                marked[owner[k]] = True
            start = flat.find(needle, start + len(needle))
    pieces: list[tuple[str, bool]] = []
    for ch, m in zip(text, marked):
        if pieces and pieces[-1][1] == m:
            pieces[-1] = (pieces[-1][0] + ch, m)
        else:
            pieces.append((ch, m))
    return pieces


def edition_search(session: Session, edition: MaterialEdition, q: str) -> list[MaterialArticle]:
    """The edition's articles whose label or text holds every word of ``q`` (folded as ``highlight``)."""
    words = [w.casefold() for w in unicodedata.normalize("NFKC", q or "").split() if w]
    if not words:
        return []
    found = []
    for article in edition_articles(session, edition):
        hay = unicodedata.normalize("NFKC", article.ref + "\n" + article.text).casefold()
        if all(w in hay for w in words):
            found.append(article)
    return found
