def open_product(name: str) -> str:
    """Open a shop product's page by its exact name and return the page.

    name: the product's name as the shop writes it, e.g. 'Acme Blue Yoga Mat'.
    Searches the shop for the name, then follows the result with that name.
    Example: open_product('Kestrel Shampoo')
    """
    page.fill("Search products", name, True)
    hits = [e for e in page.get_by_role("link", name) if e["name"] == name]
    if not hits:
        raise LookupError("the shop has no product named %r" % name)
    return page.click(hits[0]["id"])
