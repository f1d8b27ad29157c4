from services.accounts.models import Base
from shared.core.migrations import run_env

run_env(Base.metadata)
