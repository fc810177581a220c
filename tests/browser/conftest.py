from web_harness import browser, document_servers, page, phone, product

__all__ = ["browser", "document_servers", "page", "phone", "product"]
