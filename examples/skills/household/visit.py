def visit(receptacle: str) -> str:
    """Go to a receptacle, open it if it is closed, and return what you see there.

    receptacle: a full name such as 'fridge 1'. Where you already stand, it looks again.
    Example: visit('fridge 1')  # -> 'You open the fridge 1. ... In it, you see a apple 1.'
    """
    obs = env.step("go to " + receptacle)
    if obs == "Nothing happens.":
        obs = env.step("examine " + receptacle)
    if "is closed" in obs:
        obs = env.step("open " + receptacle)
    return obs
