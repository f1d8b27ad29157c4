"""The grants service's tables (the outbox and processed events come from shared).

Money is integer cents; times are aware and stored in UTC. One module per area; every model is
importable from here (`from services.grants.models import Call`).
"""
from services.grants.models.applications import (  # noqa: F401
    APPLICATION_STATUSES,
    CALL_STATUSES,
    FUNDING_KINDS,
    Account,
    Application,
    Call,
    Document,
    Fund,
    FundingSource,
    Organisation,
)
from services.grants.models.base import Base  # noqa: F401
from services.grants.models.jury import (  # noqa: F401
    ASSIGNMENT_ORIGINS,
    DEFAULT_DISAGREEMENT_THRESHOLD,
    DEFAULT_REMINDER_DAYS_BEFORE,
    DEFAULT_REVIEWS_PER_APPLICATION,
    FLAG_RULES,
    FLAG_STATUSES,
    RECOMMENDATIONS,
    REVIEW_STATUSES,
    Assignment,
    ConflictFlag,
    Declaration,
    JurorProfile,
    Jury,
    JuryLogEntry,
    PanelMember,
    Review,
)
from services.grants.models.awards import (  # noqa: F401
    ACTIVE_AWARD_STATUSES,
    AWARD_STATUSES,
    OUTCOMES,
    REPORT_KINDS,
    TRANCHE_STATUSES,
    Award,
    AwardLogEntry,
    AwardReport,
    AwardTranche,
    Outcome,
    Payment,
    Repayment,
    TranchePlanRow,
)
from services.grants.models.matchfunding import (  # noqa: F401
    HELD_MATCH_STATUSES,
    MATCH_STATUSES,
    PAYOUT_STATUSES,
    POT_STATUSES,
    Match,
    MatchCampaign,
    MatchPayout,
    MatchPot,
)
from services.grants.models.impact import (  # noqa: F401
    ADVICE_STATUSES,
    CAMPAIGN_OUTCOMES,
    CHECK_STATUSES,
    FIRM_STATUSES,
    MECHANISMS,
    SUPPORT_KINDS,
    AdviceRequest,
    AdviceSession,
    AlternativeFunding,
    CampaignOutcome,
    ManualStatus,
    RegistryCheck,
    Support,
    SupportedFirm,
)
