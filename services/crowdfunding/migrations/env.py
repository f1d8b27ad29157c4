from services.crowdfunding.models import Base
from shared.core.migrations import run_env

run_env(Base.metadata)
