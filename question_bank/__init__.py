"""The question bank as a library: models, grading, formats and materials. Never imports Flask."""
