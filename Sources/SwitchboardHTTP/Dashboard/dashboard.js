// The supervisors' dashboard: one stream from /feed (Server-Sent Events, read with fetch so
// the Bearer token can travel in a header), nothing polled. "floor" frames carry the whole
// floor; every other frame is one event as consoles receive it.
"use strict";

const token = sessionStorage.getItem("switchboard-token");
const $ = (id) => document.getElementById(id);
const keptEvents = 50;

function seconds(value) {
  if (value < 60) return value.toFixed(0) + " s";
  if (value < 3600) return Math.floor(value / 60) + " min " + Math.floor(value % 60) + " s";
  return Math.floor(value / 3600) + " h " + Math.floor((value % 3600) / 60) + " min";
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function renderOperators(operators) {
  const body = $("operators").tBodies[0];
  const rows = operators.map((op) => {
    const tr = document.createElement("tr");
    tr.dataset.operatorId = op.operator_id;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = op.operator_name + (op.is_active ? "" : " (inactive)");
    tr.appendChild(name);
    tr.appendChild(cell(op.presence, "presence-" + op.presence));
    const load = document.createElement("td");
    // A limit lowered below the load shows the bar full and the figure over it.
    const share = op.max_load_limit > 0 ? Math.min(1, op.current_load / op.max_load_limit) : 0;
    load.innerHTML = '<div class="load"><div class="bar"><span></span></div><span class="figure"></span></div>';
    load.querySelector(".bar").classList.toggle("full", share >= 1);
    load.querySelector(".bar span").style.width = (share * 100).toFixed(1) + "%";
    load.querySelector(".figure").textContent = op.current_load + " / " + op.max_load_limit + (share >= 1 ? " full" : "");
    load.className = "load-cell";
    tr.appendChild(load);
    const wrapUps = op.wrap_up_count || 0;
    tr.appendChild(cell(String(op.current_load - op.offered - wrapUps), "assigned"));
    tr.appendChild(cell(String(op.offered), "offered"));
    // "1, 42 s left": slots still taken after closed conversations, until the last wrap-up ends.
    const left = op.wrap_up_until ? Math.max(0, (Date.parse(op.wrap_up_until) - Date.now()) / 1000) : 0;
    tr.appendChild(cell(wrapUps ? wrapUps + ", " + seconds(left) + " left" : "–", "wrap-up"));
    // "chat 2/3": load over capacity, "-" where the operator names no cap for the channel.
    const channels = (op.by_channel || []).map((c) => c.channel + " " + c.load + "/" + (c.capacity ?? "-"));
    tr.appendChild(cell(channels.join(", ") || "–", "channels"));
    const skills = Object.entries(op.skills || {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, level]) => name + " " + level);
    tr.appendChild(cell(skills.join(", ") || "–", "skills"));
    return tr;
  });
  body.replaceChildren(...rows);
}

// "chat: closed, opens 2026-12-08 09:00:00 (in 9 h 12 min)": sources with working hours only.
function renderSources(sources) {
  const items = sources.map((s) => {
    const li = document.createElement("li");
    li.dataset.sourceId = s.source_id;
    const next = s.next_change_at ? Date.parse(s.next_change_at) : null;
    const when = next ? ", " + (s.open_now ? "closes" : "opens") + " " + new Date(next).toLocaleString() +
      " (in " + seconds(Math.max(0, (next - Date.now()) / 1000)) + ")" : "";
    li.textContent = s.identifier + ": " + (s.open_now ? "open" : "closed") + when;
    li.className = s.open_now ? "open" : "closed";
    return li;
  });
  $("sources").replaceChildren(...items);
}

function renderChart(id, values) {
  const svg = $(id);
  const max = Math.max(1, ...values.filter((v) => v !== null));
  const step = values.length > 1 ? 300 / (values.length - 1) : 300;
  const points = values.map((v, i) => (i * step).toFixed(1) + "," + (60 - ((v ?? 0) / max) * 56).toFixed(1)).join(" ");
  svg.innerHTML = values.length ? '<polyline points="' + points + '"></polyline>' : "";
}

function renderFloor(frame) {
  $("status").textContent = (frame.role ? frame.role + " — " : "") + frame.status + (frame.error ? " (" + frame.error + ")" : "");
  const floor = frame.floor;
  if (floor) {
    $("waiting").textContent = floor.waiting_count;
    $("oldest").textContent = floor.waiting_count ? seconds(floor.oldest_waiting_seconds) : "none waiting";
    $("offered").textContent = floor.offered_count;
    $("unmatched").textContent = floor.unmatched_waiting;
    $("outbox").textContent = floor.outbox_pending;
    $("retrying").textContent = floor.events_retrying;
    $("set-aside").textContent = floor.events_set_aside;
    const available = floor.operators.filter((op) => op.is_active && op.presence === "available").length;
    $("available").textContent = available + " of " + floor.operators.length;
    renderOperators(floor.operators);
    renderSources(floor.sources || []);
  }
  const activity = frame.activity || [];
  renderChart("rate-chart", activity.map((s) => s.requests));
  renderChart("tta-chart", activity.map((s) => s.time_to_assign_ms ?? null));
  const last = activity[activity.length - 1];
  $("rate-now").textContent = last ? "— now " + last.requests + "/s" : "";
  $("tta-now").textContent = last && last.time_to_assign_ms != null ? "— now " + last.time_to_assign_ms.toFixed(0) + " ms" : "";
}

function renderEvent(name, event) {
  const item = document.createElement("li");
  const time = document.createElement("time");
  const at = event.occurred_at || new Date().toISOString();
  time.dateTime = at;
  time.textContent = at.slice(11, 19);
  item.appendChild(time);
  const request = event.request;
  let text = name;
  if (request) {
    text += " #" + request.id + " " + request.user_identifier + " via " + request.source_identifier;
    if (request.operator_name) text += " → " + request.operator_name;
    // A transfer: from whom, to whom (or to the requirements it now has), and why.
    if (name === "request.transferred") {
      const to = event.to_operator_id ? "operator " + event.to_operator_id
        : (request.requires || []).map((r) => r.skill + " " + r.min_level).join(", ") || "anyone";
      text += " from operator " + event.from_operator_id + " to " + to + (event.reason ? " (" + event.reason + ")" : "");
    }
  } else if (event.operator_name) {
    text += " " + event.operator_name + ": " + event.presence;
  }
  item.appendChild(document.createTextNode(text));
  const list = $("events");
  list.prepend(item);
  while (list.children.length > keptEvents) list.lastChild.remove();
}

function handle(frame) {
  let name = "message";
  let data = "";
  for (const line of frame.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data) return;
  const value = JSON.parse(data);
  if (name === "floor") renderFloor(value);
  else renderEvent(name, value);
}

async function follow() {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const response = await fetch("/feed", { headers, cache: "no-store" });
  if (!response.ok) throw new Error("the feed answered " + response.status);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the feed ended");
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      handle(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

async function stayConnected() {
  let pause = 500;
  for (;;) {
    try {
      await follow();
    } catch (error) {
      $("status").textContent = "reconnecting: " + error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 10000);
  }
}

stayConnected();
