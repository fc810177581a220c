from web_harness import product

__all__ = ["product"]
