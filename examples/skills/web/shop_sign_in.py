def shop_sign_in(email: str, password: str) -> str:
    """Sign in to the shop with an email and password and return the account page.

    Example: shop_sign_in('emma.lopez@example.com', 'hone123')
    """
    page.click("Sign In")
    page.fill("Email", email)
    return page.fill("Password", password, True)
