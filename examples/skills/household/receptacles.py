def receptacles() -> list:
    """Every receptacle in the room, e.g. ['cabinet 1', 'countertop 1', 'fridge 1'].

    Read from the commands that are valid now (env.admissible()) and remembered for the rest
    of the episode, so it costs no step.
    Example: receptacles()
    """
    try:
        known = receptacles.known
    except AttributeError:
        known = receptacles.known = []
    for c in env.admissible():
        name = ""
        for verb in ("go to ", "open ", "close "):
            if c.startswith(verb):
                name = c[len(verb):]
        for sep in (" from ", " in/on ", " with "):
            if sep in c:
                name = c.split(sep)[-1]
        if name and name not in known:
            known.append(name)
    return sorted(known)
