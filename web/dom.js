// Building DOM nodes. Record text only ever becomes text nodes or attribute values (never HTML).

export const $ = (id) => document.getElementById(id);

// h('p', { class: 'x', text: 'y', onclick: fn }, ...kids): kids are nodes, strings or nested arrays;
// null, false, '' and 0 are skipped.
export function h(tag, props, ...kids) {
  const e = document.createElement(tag);
  setProps(e, props);
  add(e, kids);
  return e;
}

export function svg(tag, props, ...kids) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setProps(e, props);
  add(e, kids);
  return e;
}

function setProps(e, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}

function add(e, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k != null && k !== false && k !== '' && k !== 0) e.append(k instanceof Node ? k : String(k));
  }
}

export const clear = (e, ...kids) => {
  e.replaceChildren();
  add(e, kids);
  return e;
};

// Appends like clear() does: nothing for null, false or '' (Element.append would write "null").
export const append = (e, ...kids) => {
  add(e, kids);
  return e;
};

export const T = (tag, cls, text) => h(tag, { class: cls || null, text });
export const sub = (text) => T('span', 'sub', text);
export const sr = (text) => T('span', 'sr-only', text);
