"""Study materials (学习资料): split a regulation or policy text into its structure, read 出处
citations, and compare two editions. Pure functions on text: no database, no Flask.

- ``parse_material(text) -> MaterialStructure``  (parse.py: 编/分编/章/节/条, 目录, notes, policy sections)
- ``parse_citation(text) -> Citation | None``, ``match_title(cited, known)``  (cite.py)
- ``diff_editions(old, new) -> EditionDiff``  (diff.py: unchanged/renumbered/changed/removed/added)
- ``parse_number`` / ``to_chinese`` / ``article_label``  (numerals.py)
"""
from question_bank.materials.cite import Citation, match_title, parse_citation
from question_bank.materials.diff import ArticleChange, EditionDiff, diff_editions
from question_bank.materials.numerals import article_label, parse_article_label, parse_number, to_chinese
from question_bank.materials.parse import Article, Division, MaterialStructure, PolicySection, parse_material

__all__ = [
    "Article",
    "ArticleChange",
    "Citation",
    "Division",
    "EditionDiff",
    "MaterialStructure",
    "PolicySection",
    "article_label",
    "diff_editions",
    "match_title",
    "parse_article_label",
    "parse_citation",
    "parse_material",
    "parse_number",
    "to_chinese",
]
