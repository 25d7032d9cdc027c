def add_to_cart(name: str, qty: int = 1) -> str:
    """Put a shop product in the cart (qty of it) and return the page after adding.

    name: the product's exact name, e.g. 'Northwind Green Tea'.
    qty: how many.
    Example: add_to_cart('Cedar Oat Cookies', 3)
    """
    open_product(name)
    if qty != 1:
        page.click("Qty")
        page.press("Control+a")
        page.press("Backspace")
        page.fill("Qty", str(qty))
    return page.click("Add to Cart")
