# hone sandbox prelude: run by `python -S -c`, before the user's program.
# argv: [-c, program, input JSON or "", entry function name or "", granted names joined by ","]
# Kept import-free on the common path: under wasm, `import json` alone costs more than starting
# CPython, so values cross the channel through the small encoder below, and replies (JSON written
# by the host, which alone writes stdin) are read with eval, JSON being a subset of Python
# literals once true/false/null are named.
import sys as _s


def _hone():
    program, input_json, entry, grants = _s.argv[1:5]
    del _s.argv[1:]
    literals = {"__builtins__": {}, "true": True, "false": False, "null": None}
    escapes = {i: "\\u%04x" % i for i in range(32)}
    escapes.update({34: '\\"', 92: "\\\\", 10: "\\n", 13: "\\r", 9: "\\t"})

    def dumps(v):
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        t = type(v)
        if t is str:
            return '"' + v.translate(escapes) + '"'
        if t is int:
            return str(v)
        if t is float:
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError("%r is not JSON" % v)
            return repr(v)
        if isinstance(v, dict):
            items = []
            for k, x in v.items():
                if not isinstance(k, str):
                    raise TypeError("JSON object keys must be str, not %s" % type(k).__name__)
                items.append(dumps(k) + ":" + dumps(x))
            return "{" + ",".join(items) + "}"
        if isinstance(v, (list, tuple)):
            return "[" + ",".join(dumps(x) for x in v) + "]"
        if isinstance(v, (int, float, str)):
            return dumps(t.__mro__[-2](v))
        raise TypeError("Object of type %s is not JSON serializable" % type(v).__name__)

    def send(line):
        import posix

        data = ("\x1ehone:" + line + "\n").encode("utf-8", "surrogatepass")
        _s.stdout.flush()
        _s.stderr.flush()
        while data:
            data = data[posix.write(2, data):]

    class HostError(Exception):
        """A host call was refused or failed on the host side."""

    HostError.__qualname__ = "HostError"
    HostError.__module__ = "builtins"

    seq = [0]
    inbuf = bytearray()

    def read_line():
        import posix

        while b"\n" not in inbuf:
            chunk = posix.read(0, 65536)
            if not chunk:
                return None
            inbuf.extend(chunk)
        i = inbuf.index(b"\n")
        line = bytes(inbuf[:i]).decode("utf-8", "replace")
        del inbuf[: i + 1]
        return line

    def read_exact(n):
        import posix

        while len(inbuf) < n:
            chunk = posix.read(0, 65536)
            if not chunk:
                break
            inbuf.extend(chunk)
        data = bytes(inbuf[:n])
        del inbuf[:n]
        return data

    def call(name, /, *args, **kwargs):
        if args and kwargs:
            # Both (Playwright's `get_by_role('link', name='Cart')`): one object, the positional
            # arguments under their index ("0", "1", ...) beside the keywords.
            mixed = {str(i): v for i, v in enumerate(args)}
            mixed.update(kwargs)
            kwargs, args = mixed, ()
        seq[0] += 1
        try:
            body = dumps(kwargs if kwargs else list(args))
        except (TypeError, ValueError) as e:
            raise TypeError("host call %s: arguments are not JSON: %s" % (name, e)) from None
        send('{"id":%d,"call":%s,"args":%s}' % (seq[0], dumps(name), body))
        while True:
            line = read_line()
            if line is None:
                raise HostError("host call %s: channel closed" % name)
            try:
                msg = eval(line, literals)
            except Exception:
                continue
            if type(msg) is not dict or msg.get("id") != seq[0]:
                continue
            if "error" in msg:
                raise HostError(msg["error"])
            return msg.get("ok")

    class Namespace:
        def __init__(self, path):
            self._path = path

        def __repr__(self):
            return "<host namespace %s>" % self._path

    def host_function(name):
        def f(*args, **kwargs):
            return call(name, *args, **kwargs)

        f.__name__ = name.rsplit(".", 1)[-1]
        f.__qualname__ = name
        return f

    g = {"__name__": "__main__", "__builtins__": __builtins__}
    for name in grants.split(",") if grants else ():
        parts = name.split(".")
        target = g
        for depth, part in enumerate(parts[:-1]):
            ns = target.get(part) if target is g else getattr(target, part, None)
            if not isinstance(ns, Namespace):
                ns = Namespace(".".join(parts[: depth + 1]))
                if target is g:
                    g[part] = ns
                else:
                    setattr(target, part, ns)
            target = ns
        if target is g:
            g[parts[-1]] = host_function(name)
        else:
            setattr(target, parts[-1], host_function(name))

    INPUT = eval(input_json, literals) if input_json else None
    g["INPUT"] = INPUT
    g["HostError"] = HostError
    g["host_call"] = call

    def report(e, source, name):
        import linecache
        import traceback

        linecache.cache["<string>"] = (len(source), None, source.splitlines(True), "<string>")
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_globals is not g:
            tb = tb.tb_next
        text = "".join(traceback.format_exception(type(e), e, tb))
        _s.stdout.flush()
        _s.stderr.write(text.replace('File "<string>"', 'File "<%s>"' % name))
        _s.stderr.flush()

    if program == "\x1esession":
        # A session: snippets arrive on stdin as `\x1esnippet:ID:LENGTH` + the code, run in
        # the same globals one after the other; each ends with a `done` record.
        while True:
            line = read_line()
            if line is None:
                return
            if not line.startswith("\x1esnippet:"):
                continue
            _, sid, length = line.split(":")
            code = read_exact(int(length)).decode("utf-8", "replace")
            ok = "true"
            try:
                exec(code, g)
            except BaseException as e:
                ok = "false"
                report(e, code, "snippet")
            send('{"done":%s,"ok":%s}' % (sid, ok))

    try:
        # exec of a str, not compile(): the compile() builtin costs ~50 M instructions on
        # first use under wasm. The program's frames are then named "<string>"; the traceback
        # below shows them as "<program>".
        exec(program, g)
        if entry:
            fn = g.get(entry)
            if not callable(fn):
                raise NameError("entry function %r is not defined" % entry)
            if isinstance(INPUT, dict):
                value = fn(**INPUT)
            elif isinstance(INPUT, list):
                value = fn(*INPUT)
            elif INPUT is None:
                value = fn()
            else:
                value = fn(INPUT)
            g["result"] = value
        if entry or "result" in g:
            try:
                body = dumps(g["result"])
            except (TypeError, ValueError, RecursionError) as e:
                raise TypeError("result is not JSON-serialisable: %s" % e) from None
            send('{"result":%s}' % body)
    except SystemExit:
        raise
    except BaseException as e:
        report(e, program, "program")
        raise SystemExit(1)


_hone()
