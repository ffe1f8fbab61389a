"""What every group of routes may use; `GatewayService` provides it."""

from typing import Any


class Routes:
    db: Any  # shared.database.WorkerDatabase
    config: dict[str, Any]
    points: Any  # RPC proxies
    referrals: Any
    reviews: Any

    def services(self) -> dict[str, Any]:
        """The RPC proxies by service name."""
        return {"points": self.points, "referrals": self.referrals, "reviews": self.reviews}
