from identity_harness import identity

__all__ = ["identity"]
