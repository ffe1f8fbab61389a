"""What every group of routes may use; `GatewayService` provides it."""

from typing import Any


class Routes:
    db: Any  # shared.database.WorkerDatabase
    config: dict[str, Any]
    points: Any  # RPC proxies
    referrals: Any
    reviews: Any
    webhooks: Any

    def services(self) -> dict[str, Any]:
        """The RPC proxies of the services with a timeline, by name."""
        return {"points": self.points, "referrals": self.referrals, "reviews": self.reviews}
