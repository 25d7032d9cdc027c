def product_detail(name: str, field: str) -> str:
    """Return one field of a shop product's page: 'Price', 'SKU', 'Rating' or 'Category'.

    name: the product's exact name, e.g. 'Lumen Perfume'.
    field: the label on the product page.
    Example: product_detail('Acme Blue Yoga Mat', 'Price')  # -> '$31.99'
    """
    text = open_product(name)
    if field.lower() == "category":
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if "'Category:'" in line and i + 1 < len(lines):
                return lines[i + 1].split("'")[1]
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("StaticText '%s:" % field):
            return line.split(":", 1)[1].strip().rstrip("'").strip()
    raise LookupError("no %s on the page of %s" % (field, name))
