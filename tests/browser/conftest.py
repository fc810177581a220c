from web_harness import browser, page, product

__all__ = ["browser", "page", "product"]
