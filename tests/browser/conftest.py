from web_harness import browser, page, phone, product

__all__ = ["browser", "page", "phone", "product"]
