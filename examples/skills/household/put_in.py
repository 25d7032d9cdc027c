def put_in(obj: str, receptacle: str) -> str:
    """Put the object you hold in or on a receptacle and return the receptacle's name.

    obj: what you hold, e.g. 'mug 1' (or just its type, 'mug').
    receptacle: a type such as 'cabinet' (the first one that takes it) or a name such as
    'cabinet 2'.
    Example: put_in('mug 1', 'coffeemachine')  # -> 'coffeemachine 1'
    """
    if receptacle[-1:].isdigit():
        targets = [receptacle]
    else:
        targets = [r for r in receptacles() if r.rsplit(" ", 1)[0] == receptacle]
    for r in targets:
        visit(r)
        for c in env.admissible():
            if c.startswith("put ") and c.endswith(" in/on " + r):
                held = c[4:-len(" in/on " + r)]
                if held == obj or held.rsplit(" ", 1)[0] == obj:
                    if env.step(c).startswith("You put"):
                        return r
    carrying = env.step("inventory")
    if obj.rsplit(" ", 1)[0] not in carrying:
        raise LookupError("you are not holding a %s (%s) Take one first: find_and_take(%r)"
                          % (obj, carrying, obj.rsplit(" ", 1)[0]))
    raise LookupError("could not put %s in/on any %s" % (obj, receptacle))
