def find_and_take(obj: str, avoid: str = "") -> str:
    """Search the room for an object of a type, pick it up, and return its name.

    obj: an object type such as 'mug' or 'apple' (or a name such as 'mug 2').
    avoid: a receptacle type or name to skip, e.g. the target where you already put the first
    of two objects. If you already hold such an object, returns it. Your hands must be empty
    otherwise: put what you hold somewhere first. Raises LookupError if there is none.
    Example: find_and_take('mug')  # -> 'mug 1'
    """
    import re
    pattern = re.compile(r"\b(" + re.escape(obj) + (r")\b" if obj[-1:].isdigit() else r" \d+)\b"))
    if any(r.rsplit(" ", 1)[0] == obj.rsplit(" ", 1)[0] for r in receptacles()):
        raise ValueError("%s is a receptacle, not an object to take: to put something in or on "
                         "it, use put_in(obj, %r)" % (obj, obj.rsplit(" ", 1)[0]))
    carrying = env.step("inventory")
    if "carrying:" in carrying:
        m = pattern.search(carrying)
        if m:
            return m.group(1)
        raise RuntimeError("your hands are full (%s) put it somewhere first, e.g. put_in(...)"
                           % carrying.split("carrying:", 1)[1].strip().rstrip("."))
    for r in receptacles():
        if avoid and (r == avoid or r.rsplit(" ", 1)[0] == avoid):
            continue
        seen = visit(r)
        if "you see" not in seen:
            continue
        for m in pattern.finditer(seen.split("you see", 1)[1]):
            out = env.step("take %s from %s" % (m.group(1), r))
            if out.startswith("You pick up"):
                return m.group(1)
    raise LookupError("found no %s in any receptacle" % obj)
