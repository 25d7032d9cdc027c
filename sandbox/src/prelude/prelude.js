// hone sandbox prelude: run by `qjs --std -e`, before the user's program.
// scriptArgs: [program, input JSON or "", entry function name or "", granted names joined by ","]
(function () {
  "use strict";
  const [program, inputJson, entry, grants] = scriptArgs;
  const err = std.err, inp = std.in, out = std.out;
  let seq = 0;

  class HostError extends Error {
    constructor(message) {
      super(message);
      this.name = "HostError";
    }
  }

  function send(obj) {
    const line = JSON.stringify(obj);
    out.flush();
    err.puts("\x1ehone:" + line + "\n");
    err.flush();
  }

  function call(name, ...args) {
    seq += 1;
    try {
      send({ id: seq, call: name, args: args });
    } catch (e) {
      throw new TypeError("host call " + name + ": arguments are not JSON: " + e.message);
    }
    if (typeof inp.clearErr === "function") inp.clearErr();
    for (;;) {
      const line = inp.getline();
      if (line === null) throw new HostError("host call " + name + ": channel closed");
      let msg;
      try {
        msg = JSON.parse(line);
      } catch (e) {
        continue;
      }
      if (msg === null || msg.id !== seq) continue;
      if ("error" in msg) throw new HostError(String(msg.error));
      return msg.ok;
    }
  }

  for (const name of grants.split(",").filter((n) => n.length > 0)) {
    const parts = name.split(".");
    let target = globalThis;
    for (const part of parts.slice(0, -1)) {
      if (typeof target[part] !== "object" || target[part] === null) target[part] = {};
      target = target[part];
    }
    target[parts[parts.length - 1]] = (...args) => call(name, ...args);
  }
  globalThis.INPUT = inputJson ? JSON.parse(inputJson) : null;
  globalThis.HostError = HostError;
  globalThis.host_call = call;

  try {
    std.evalScript(program);
    let value;
    if (entry) {
      const fn = std.evalScript("typeof " + entry + " === 'function' ? " + entry + " : undefined");
      if (typeof fn !== "function") throw new ReferenceError("entry function " + entry + " is not defined");
      const input = globalThis.INPUT;
      value = Array.isArray(input) ? fn(...input) : input === null ? fn() : fn(input);
    } else {
      value = std.evalScript("typeof result === 'undefined' ? undefined : result");
    }
    if (entry || value !== undefined) {
      let line;
      try {
        line = JSON.stringify({ result: value === undefined ? null : value });
      } catch (e) {
        throw new TypeError("result is not JSON-serialisable: " + e.message);
      }
      out.flush();
      err.puts("\x1ehone:" + line + "\n");
      err.flush();
    }
  } catch (e) {
    out.flush();
    let text = String(e);
    if (e && typeof e.stack === "string" && e.stack.length > 0) {
      // Keep the program's frames, drop the prelude's (evalScript and <cmdline>).
      const frames = e.stack.split("\n").filter((l) => l.length > 0 && !l.includes("<cmdline>") && !l.includes("evalScript (native)"));
      text += "\n" + frames.join("\n");
    }
    err.puts(text + (text.endsWith("\n") ? "" : "\n"));
    err.flush();
    std.exit(1);
  }
  out.flush();
})();
