def look_under_lamp(obj: str, lamp: str = "desklamp") -> str:
    """Look at an object under a lamp: find and take the object, then find the lamp and turn it on.

    obj: an object type such as 'book'; lamp: 'desklamp' or 'floorlamp'.
    Example: look_under_lamp('pen', 'floorlamp')
    """
    import re
    held = find_and_take(obj)
    pattern = re.compile(r"\b(" + re.escape(lamp) + r" \d+)\b")
    for r in receptacles():
        seen = visit(r)
        m = pattern.search(seen)
        if m:
            return env.step("use " + m.group(1))
    raise LookupError("holding %s, but found no %s" % (held, lamp))
