// hone's in-page observation: the page as an accessibility-tree text in WebArena's style
// (`[id] role 'name' prop: value`, children indented by a tab), computed by walking the DOM in
// the page (about 2 ms for a 1,000-node page, against ~65 ms for CDP's full AX tree).
// Elements get a stable `data-hone-id` the first time they are seen (BrowserGym's way), so ids
// do not change between steps on the same document. Called as `(__HONE_OBSERVE__)(maxLines)`.
(function (maxLines) {
  const W = window;
  if (!W.__honeNext) W.__honeNext = 1;
  const idOf = (el) => {
    let v = el.getAttribute("data-hone-id");
    if (!v) {
      v = String(W.__honeNext++);
      el.setAttribute("data-hone-id", v);
    }
    return v;
  };
  const squash = (s) => (s || "").replace(/\s+/g, " ").trim();
  // Python's repr of a str, as WebArena prints names.
  const repr = (s) => {
    if (s.includes("'") && !s.includes('"')) return '"' + s.replace(/\\/g, "\\\\") + '"';
    return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
  };
  const hidden = (el) => {
    if (el.hidden || el.getAttribute("aria-hidden") === "true") return true;
    const cs = getComputedStyle(el);
    return cs.display === "none" || cs.visibility === "hidden";
  };
  const INPUT_ROLES = {
    button: "button", submit: "button", reset: "button", image: "button",
    checkbox: "checkbox", radio: "radio", search: "searchbox", number: "spinbutton",
    range: "slider",
  };
  const TAG_ROLES = {
    BUTTON: "button", TEXTAREA: "textbox", OPTION: "option", NAV: "navigation",
    MAIN: "main", HEADER: "banner", FOOTER: "contentinfo", UL: "list", OL: "list",
    LI: "listitem", TABLE: "table", TR: "row", TH: "columnheader", TD: "cell",
    FORM: "form", ARTICLE: "article", ASIDE: "complementary", LABEL: "LabelText",
    P: "paragraph", DIALOG: "dialog", SUMMARY: "DisclosureTriangle", STRONG: "strong",
    SECTION: "Section", FIELDSET: "group", LEGEND: "Legend",
  };
  const roleOf = (el) => {
    const r = el.getAttribute("role");
    if (r) return r;
    const t = el.tagName;
    if (t === "A") return el.hasAttribute("href") ? "link" : "generic";
    if (t === "INPUT") {
      const ty = (el.getAttribute("type") || "text").toLowerCase();
      if (ty === "hidden") return null;
      return INPUT_ROLES[ty] || "textbox";
    }
    if (t === "SELECT") return el.multiple || el.size > 1 ? "listbox" : "combobox";
    if (/^H[1-6]$/.test(t)) return "heading";
    if (t === "IMG") return "img";
    return TAG_ROLES[t] || "generic";
  };
  // Roles whose name is their text: their text is not repeated as StaticText children.
  const FROM_CONTENT = new Set(["link", "button", "heading", "option", "tab", "menuitem",
    "columnheader", "DisclosureTriangle"]);
  const labelOf = (el) => {
    if (el.id) {
      const l = document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
      if (l) return squash(l.innerText);
    }
    const wrap = el.closest("label");
    return wrap ? squash(wrap.innerText) : "";
  };
  const nameOf = (el, role) => {
    const aria = el.getAttribute("aria-label");
    if (aria) return squash(aria);
    const by = el.getAttribute("aria-labelledby");
    if (by) {
      const parts = by.split(/\s+/).map((i) => document.getElementById(i)).filter(Boolean);
      if (parts.length) return squash(parts.map((p) => p.innerText).join(" "));
    }
    const t = el.tagName;
    if (t === "INPUT" || t === "SELECT" || t === "TEXTAREA") {
      if (role === "button") return squash(el.value || el.getAttribute("alt") || "");
      return labelOf(el) || squash(el.getAttribute("placeholder") || el.getAttribute("title") || "");
    }
    if (t === "IMG") return squash(el.getAttribute("alt") || el.getAttribute("title") || "");
    if (FROM_CONTENT.has(role)) return squash(el.innerText || el.textContent);
    return squash(el.getAttribute("title") || "");
  };
  // WebArena drops these when they have no name and no properties.
  const SKIP_EMPTY = new Set(["generic", "img", "list", "strong", "paragraph", "banner",
    "navigation", "Section", "LabelText", "Legend", "listitem"]);
  const lines = [];
  let truncated = 0;
  const emit = (depth, text) => {
    if (lines.length >= maxLines) {
      truncated++;
      return;
    }
    lines.push("\t".repeat(depth) + text);
  };
  const recent = [];
  const staticText = (depth, text) => {
    // WebArena's clean-up: no StaticText that repeats one of the last 3 kept lines.
    if (!text || recent.some((r) => r.includes(text))) return;
    emit(depth, "StaticText " + repr(text));
    recent.push(text);
    if (recent.length > 3) recent.shift();
  };
  const walk = (node, depth) => {
    for (const ch of node.childNodes) {
      if (ch.nodeType === 3) {
        staticText(depth, squash(ch.textContent));
        continue;
      }
      if (ch.nodeType !== 1) continue;
      const el = ch;
      if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD"].includes(el.tagName)) continue;
      if (hidden(el)) continue;
      const role = roleOf(el);
      if (role === null) continue;
      const name = nameOf(el, role);
      const props = [];
      if (el === document.activeElement && el !== document.body) props.push("focused: True");
      if (el.disabled) props.push("disabled: True");
      if (el.required) props.push("required: True");
      if (role === "checkbox" || role === "radio") props.push("checked: " + (el.checked ? "True" : "False"));
      if (role === "option") props.push("selected: " + (el.selected ? "True" : "False"));
      if (role === "combobox") props.push("hasPopup: menu", "expanded: False");
      if (role === "heading") props.push("level: " + el.tagName.slice(1));
      const printed = !(SKIP_EMPTY.has(role) && !name && props.length === 0) &&
        !(role === "listitem" && !name);
      if (printed && (role !== "generic" || name)) {
        emit(depth, "[" + idOf(el) + "] " + role + " " + repr(name) + (props.length ? " " + props.join(" ") : ""));
        recent.push(name);
        if (recent.length > 3) recent.shift();
        if (role === "textbox" || role === "searchbox" || role === "spinbutton") {
          if (el.value) staticText(depth + 1, squash(el.value));
          continue;
        }
        if (FROM_CONTENT.has(role) && role !== "option") {
          // Form controls inside a link or button stay reachable.
          for (const c of el.querySelectorAll("input, select, textarea, img[alt]")) {
            if (!hidden(c)) walk({ childNodes: [c] }, depth + 1);
          }
          continue;
        }
        walk(el, depth + 1);
      } else {
        walk(el, depth);
      }
    }
  };
  const rootId = idOf(document.documentElement);
  emit(0, "[" + rootId + "] RootWebArea " + repr(squash(document.title)) + " focused: True");
  if (document.body) walk(document.body, 1);
  if (truncated) lines.push("(" + truncated + " more lines not shown)");
  return lines.join("\n");
})
