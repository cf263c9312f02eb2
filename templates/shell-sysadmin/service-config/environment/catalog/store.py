"""The product catalog: a JSON list of items, read once at start-up."""

import json


class Catalog:
    def __init__(self, items):
        self.items = sorted(items, key=lambda item: item["sku"])
        self.by_sku = {item["sku"]: item for item in self.items}

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            items = json.load(f)
        for item in items:
            missing = {"sku", "name", "price", "stock"} - set(item)
            if missing:
                raise ValueError(f"{path}: item {item.get('sku', '?')} lacks {sorted(missing)}")
        return cls(items)

    def page(self, number, size):
        """Items of 1-based page `number` and the page count."""
        pages = max(1, -(-len(self.items) // size))
        start = (number - 1) * size
        return self.items[start:start + size], pages
