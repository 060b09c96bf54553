// Building the page from data without innerHTML, so that no ticket text is ever read as markup.

/** An element: h("a", {href: "#/", class: "x"}, "text", child). Attributes starting with "on"
 * are listeners; false, null and undefined attributes and children are left out. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** Replace the children of element. */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A labelled form field; the error slot below it is what describes it. */
export function field(id, label, control) {
  control.id = id;
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  control.setAttribute("aria-describedby", error.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, error);
}

export function select(name, options, selected) {
  return h(
    "select",
    { name },
    options.map(([value, label]) => h("option", { value, selected: value === (selected ?? "") }, label)),
  );
}
