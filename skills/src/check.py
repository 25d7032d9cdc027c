# hone skills: the static checks a skill passes before a library accepts it. Runs inside the
# sandbox (the same CPython that will run the skill), called as check(**INPUT).
import ast

# Builtins a skill may use: pure functions and types, no I/O, no introspection, no eval.
SAFE_BUILTINS = {
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float",
    "format", "frozenset", "int", "isinstance", "len", "list", "map", "max", "min",
    "next", "print", "range", "repr", "reversed", "round", "set", "sorted", "str",
    "sum", "tuple", "zip", "ord", "chr", "hash", "iter", "slice",
    "Exception", "ValueError", "KeyError", "IndexError", "LookupError", "RuntimeError",
    "TypeError", "StopIteration", "AssertionError", "NotImplementedError", "HostError",
    "AttributeError", "ZeroDivisionError", "NameError",
}
FORBIDDEN = {
    "eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars",
    "getattr", "setattr", "delattr", "host_call", "input", "breakpoint", "memoryview",
    "type", "object", "super", "classmethod", "staticmethod", "property", "exit", "quit",
}
MODULES = {"re", "math", "json", "string", "itertools", "functools", "collections"}
JSON_TYPES = {"str", "int", "float", "bool", "list", "dict"}


def _ann_ok(a):
    if isinstance(a, ast.Name):
        return a.id in JSON_TYPES
    if isinstance(a, ast.Subscript) and isinstance(a.value, ast.Name):
        return a.value.id in ("list", "dict")
    if isinstance(a, ast.Constant) and a.value is None:
        return True
    if isinstance(a, ast.BinOp) and isinstance(a.op, ast.BitOr):
        return _ann_ok(a.left) and _ann_ok(a.right)
    return False


def _json_const(d):
    try:
        v = ast.literal_eval(d)
    except Exception:
        return False
    return v is None or isinstance(v, (str, int, float, bool, list, dict))


def _chain(node):
    # env.step -> "env.step"; anything not a plain dotted name -> None
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _imports(node, errors):
    # The names an import binds; an import of a module outside MODULES is an error.
    bound = set()
    for a in node.names:
        mod = node.module if isinstance(node, ast.ImportFrom) else a.name
        if mod not in MODULES:
            errors.append("line %d imports %s; a skill may import only %s"
                          % (node.lineno, mod, ", ".join(sorted(MODULES))))
        bound.add(a.asname or a.name.split(".")[0])
    return bound


def check(code, name="", api=(), skills=(), roots=()):
    errors = []
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        return {"ok": False, "errors": ["syntax error at line %s: %s" % (e.lineno, e.msg)]}
    defs = []
    modules = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defs.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules |= _imports(node, errors)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            pass
        else:
            errors.append("line %d: only imports and the skill's def may stand at the top level"
                          % node.lineno)
    if len(defs) != 1:
        errors.append("a skill file defines exactly one function; this one defines %d" % len(defs))
        return {"ok": False, "errors": errors}
    fn = defs[0]
    if name and fn.name != name:
        errors.append("defines %s, not the declared %s" % (fn.name, name))
    if fn.decorator_list:
        errors.append("decorators are not allowed")
    doc = ast.get_docstring(fn) or ""
    if not doc.strip():
        errors.append("%s has no docstring (say what it does, its arguments and an example call)"
                      % fn.name)
    args = fn.args
    if args.vararg or args.kwarg or args.posonlyargs or args.kwonlyargs:
        errors.append("use plain arguments (no *args, **kwargs, / or keyword-only)")
    params = []
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    for a, d in zip(args.args, defaults):
        ann = ast.unparse(a.annotation) if a.annotation is not None else None
        if a.annotation is not None and not _ann_ok(a.annotation):
            errors.append("argument %s: %s is not a JSON type (str, int, float, bool, list, dict)"
                          % (a.arg, ann))
        if a.annotation is None and (d is None or not _json_const(d)):
            errors.append("argument %s needs a JSON type annotation (str, int, float, bool, list, dict)"
                          % a.arg)
        if d is not None and not _json_const(d):
            errors.append("argument %s: the default must be a JSON literal" % a.arg)
        params.append({"name": a.arg, "type": ann,
                       "default": ast.unparse(d) if d is not None else None})
    # Names the body binds.
    local = {a.arg for a in args.args} | {fn.name} | modules
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            local.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)) and node is not fn:
            if isinstance(node, ast.FunctionDef):
                local.add(node.name)
            for a in node.args.args + node.args.kwonlyargs:
                local.add(a.arg)
            if node.args.vararg:
                local.add(node.args.vararg.arg)
            if node.args.kwarg:
                local.add(node.args.kwarg.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            local.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            local |= _imports(node, errors)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            errors.append("line %d: global and nonlocal are not allowed" % node.lineno)
    api = set(api)
    roots = set(roots) | {n.split(".")[0] for n in api}
    skills = set(skills)
    uses, api_used, seen = [], [], set()
    inner = {id(p.value) for p in ast.walk(fn) if isinstance(p, ast.Attribute)}
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("__"):
                errors.append("line %d: dunder attribute %s is not allowed"
                              % (node.lineno, node.attr))
            chain = _chain(node)
            if chain and chain.split(".")[0] in roots and chain.split(".")[0] not in local:
                # Only the outermost attribute of a chain is checked.
                if id(node) not in inner:
                    if chain not in api:
                        errors.append("line %d uses %s, which is not granted (granted: %s)"
                                      % (node.lineno, chain, ", ".join(sorted(api)) or "nothing"))
                    elif chain not in api_used:
                        api_used.append(chain)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            n = node.id
            if n in seen:
                continue
            seen.add(n)
            if n in FORBIDDEN:
                errors.append("line %d uses %s, which skills may not use" % (node.lineno, n))
            elif n in local or n in SAFE_BUILTINS:
                pass
            elif n in roots and id(node) in inner:
                seen.discard(n)
            elif n in roots:
                errors.append("line %d uses %s directly; call its granted functions (%s)"
                              % (node.lineno, n, ", ".join(sorted(a for a in api if a.startswith(n + ".")))))
            elif n in skills:
                uses.append(n)
            else:
                errors.append("line %d uses %s, which is not an argument, a local, a builtin, a granted API or a skill in the library"
                              % (node.lineno, n))
    ret = (" -> " + ast.unparse(fn.returns)) if fn.returns is not None else ""
    return {
        "ok": not errors,
        "errors": errors,
        "name": fn.name,
        "signature": "%s(%s)%s" % (fn.name, ast.unparse(fn.args), ret),
        "doc": doc,
        "params": params,
        "uses": sorted(uses),
        "api": sorted(api_used),
    }
