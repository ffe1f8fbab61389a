"""The referrals service's own settings, from the environment."""
import os

from services.referrals.domain import DEFAULT_MAX_CLAIMS_PER_IP_PER_WEEK


def max_claims_per_ip_per_week() -> int:
    """Claims one client address may make per shop in 7 days; more are refused."""
    return int(os.environ.get("REFERRAL_MAX_CLAIMS_PER_IP_PER_WEEK", DEFAULT_MAX_CLAIMS_PER_IP_PER_WEEK))
