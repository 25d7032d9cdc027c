def clean(obj: str) -> str:
    """Clean the object you hold: goes to the sinkbasin and washes it there.

    obj: what you hold, e.g. 'apple 1' (or just its type, 'apple').
    Returns the environment's answer. Put the object where it belongs afterwards: this is
    the middle step of tasks like "put a clean X in Y" or "clean some X and put it in Y".
    Example: clean('apple 1')
    """
    for r in receptacles():
        if r.rsplit(" ", 1)[0] != "sinkbasin":
            continue
        visit(r)
        for c in env.admissible():
            if c.startswith("clean ") and c.endswith(" with " + r):
                held = c[len("clean "):-len(" with " + r)]
                if held == obj or held.rsplit(" ", 1)[0] == obj:
                    return env.step(c)
    carrying = env.step("inventory")
    if obj.rsplit(" ", 1)[0] not in carrying:
        raise LookupError("you are not holding a %s (%s) Take one first: find_and_take(%r)"
                          % (obj, carrying, obj.rsplit(" ", 1)[0]))
    raise LookupError("could not clean %s: there is no sinkbasin here" % obj)
