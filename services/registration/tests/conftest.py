from registration_harness import registration

__all__ = ["registration"]
