// Reads /openapi.json and lists every operation with a form to try it. Plain DOM, no
// library: the page must work with no network beyond the service itself.
"use strict";

const token = document.getElementById("token");
token.value = sessionStorage.getItem("switchboard-api-token") || "";
token.addEventListener("change", () => sessionStorage.setItem("switchboard-api-token", token.value));

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

// A body to start from: the required fields of the schema, with placeholder values.
function sample(schema, document, depth = 0) {
  if (!schema || depth > 6) return null;
  if (schema.$ref) {
    const target = schema.$ref.slice(2).split("/").reduce((node, key) => node && node[key], document);
    return sample(target, document, depth + 1);
  }
  if (schema.examples) return schema.examples[0];
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object" || schema.properties) {
    const body = {};
    for (const key of schema.required || []) body[key] = sample((schema.properties || {})[key], document, depth + 1);
    return body;
  }
  if (type === "array") return [];
  if (type === "integer" || type === "number") return schema.minimum ?? 1;
  if (type === "boolean") return true;
  if (type === "string") return "text";
  return null;
}

function operationView(path, method, operation, document) {
  const inputs = {};
  const form = element("div");
  for (const parameter of operation.parameters || []) {
    const resolved = parameter.$ref ? document.components.parameters[parameter.$ref.split("/").pop()] : parameter;
    const input = element("input", { "data-parameter": resolved.name, size: 30 });
    inputs[resolved.name] = { input, where: resolved.in };
    form.append(element("label", {}, `${resolved.name} (${resolved.in}${resolved.required ? ", required" : ""}) `, input));
  }
  let body = null;
  const content = operation.requestBody && operation.requestBody.content["application/json"];
  if (content) {
    body = element("textarea", { "data-body": "" });
    body.value = JSON.stringify(sample(content.schema, document), null, 2);
    form.append(element("label", {}, "Body (JSON)"), body);
  }
  const output = element("pre", { class: "answer" });
  const button = element("button", { type: "button", class: "try" }, "Try it");
  button.addEventListener("click", async () => {
    let url = path, query = new URLSearchParams(), headers = { "Content-Type": "application/json" };
    for (const [name, { input, where }] of Object.entries(inputs)) {
      if (input.value === "") continue;
      if (where === "path") url = url.replace(`{${name}}`, encodeURIComponent(input.value));
      else if (where === "query") query.append(name, input.value);
      else if (where === "header") headers[name] = input.value;
    }
    if (token.value) headers.Authorization = `Bearer ${token.value}`;
    const search = query.toString();
    try {
      const response = await fetch(url + (search ? `?${search}` : ""), {
        method: method.toUpperCase(), headers, body: body && body.value.trim() ? body.value : undefined,
      });
      const text = await response.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON: shown as sent */ }
      output.dataset.status = response.status;
      output.textContent = `${response.status} ${response.statusText}\n${shown}`;
    } catch (error) {
      output.textContent = `failed: ${error}`;
    }
  });
  form.append(button, output);
  const summary = element("summary", {}, element("span", { class: "method" }, method.toUpperCase()),
                          element("span", { class: "path" }, path), ` — ${operation.summary || ""}`);
  return element("details", { class: "operation", "data-operation": operation.operationId }, summary,
                 operation.description ? element("p", {}, operation.description) : "", form);
}

async function load() {
  const list = document.getElementById("operations");
  const apiDocument = await (await fetch("openapi.json")).json();
  document.getElementById("title").textContent = `${apiDocument.info.title} (${apiDocument.openapi})`;
  document.getElementById("description").textContent = apiDocument.info.description || "";
  const byTag = new Map();
  for (const [path, item] of Object.entries(apiDocument.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method === "parameters") continue;
      operation.parameters = [...(item.parameters || []), ...(operation.parameters || [])];
      const tag = (operation.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationView(path, method, operation, apiDocument));
    }
  }
  list.textContent = "";
  for (const [tag, views] of byTag) list.append(element("h2", {}, tag), ...views);
}

load().catch(error => { document.getElementById("operations").textContent = `openapi.json could not be read: ${error}`; });
