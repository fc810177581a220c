from notifier_harness import notifier

__all__ = ["notifier"]
