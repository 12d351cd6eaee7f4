"""Every mapped class of the platform, imported in one place so metadata (and Alembic) sees them all."""
from __future__ import annotations

from quiz.accounts.models import OrgUnit, User, UserRole, UserSession  # noqa: F401
from quiz.audit.models import AuditEntry  # noqa: F401
from quiz.settings.models import Setting  # noqa: F401
from quiz.uploads.models import PendingUpload  # noqa: F401
from question_bank.models import Bank, KnowledgePoint, Question, QuestionVersion, Subject  # noqa: F401
from quiz.contests.models import Attempt, AttemptQuestion, Contest, Paper, PaperItem, PaperRule, PaperVariant, Response  # noqa: F401
from quiz.practice.models import Favourite, MockPaper, PracticeAnswer, PracticeItem, PracticeSet, ReviewEntry, SequentialCursor  # noqa: F401
from quiz.assessment.models import AssessmentEntry, AssessmentExemption, AssessmentPlan, AssessmentRecord  # noqa: F401
