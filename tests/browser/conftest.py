from web_harness import browser, document_servers, page, phone, phone_390, product

__all__ = ["browser", "document_servers", "page", "phone", "phone_390", "product"]
