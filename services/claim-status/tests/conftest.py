from claim_status_harness import claim_status

__all__ = ["claim_status"]
