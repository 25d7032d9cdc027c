def heat(obj: str) -> str:
    """Heat the object you hold: goes to the microwave and heats it there.

    obj: what you hold, e.g. 'apple 1' (or just its type, 'apple').
    Returns the environment's answer. Put the object where it belongs afterwards: this is
    the middle step of tasks like "put a hot X in Y" or "heat some X and put it in Y".
    Example: heat('apple 1')
    """
    for r in receptacles():
        if r.rsplit(" ", 1)[0] != "microwave":
            continue
        visit(r)
        for c in env.admissible():
            if c.startswith("heat ") and c.endswith(" with " + r):
                held = c[len("heat "):-len(" with " + r)]
                if held == obj or held.rsplit(" ", 1)[0] == obj:
                    return env.step(c)
    carrying = env.step("inventory")
    if obj.rsplit(" ", 1)[0] not in carrying:
        raise LookupError("you are not holding a %s (%s) Take one first: find_and_take(%r)"
                          % (obj, carrying, obj.rsplit(" ", 1)[0]))
    raise LookupError("could not heat %s: there is no microwave here" % obj)
