def open_category(category: str, sort: str = "") -> list:
    """Open a shop category and return its products as [name, price] pairs, in page order.

    category: the category link's name, e.g. 'Electronics', 'Books'.
    sort: '' (as listed), 'low' (price low to high), 'high' (price high to low) or 'name'.
    Example: open_category('Grocery', 'high')[0]  # -> the most expensive grocery product
    """
    page.click(category)
    labels = {"low": "Price: low to high", "high": "Price: high to low", "name": "Name"}
    if sort:
        page.click(labels[sort])
    products = []
    lines = page.observation().splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if "] link '" in s and i + 1 < len(lines) and lines[i + 1].strip().startswith("StaticText '$"):
            products.append([s.split("'")[1], lines[i + 1].strip().split("'")[1]])
    return products
