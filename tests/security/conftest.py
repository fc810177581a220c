from web_harness import document_servers, product

__all__ = ["document_servers", "product"]
