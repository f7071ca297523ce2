// The fleet panel. Talks only to /app/api/ with the init data Telegram gave the page (or, outside
// Telegram, the tgWebAppData of the URL's hash); holds no secret of its own. Charts are SVG drawn
// here. Deciding a client's request is not done here: [Decide in chat] sends its card to the chat.
"use strict";

const tg = window.Telegram && window.Telegram.WebApp;
const initData = (tg && tg.initData) || new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
const SVG = "http://www.w3.org/2000/svg";
const views = ["fleet", "requests", "escalations", "leads", "funnel"];
const trail = [];
let current = "fleet";

function applyTheme() {
  const p = (tg && tg.themeParams) || {};
  const map = { bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
    button_color: "--button", button_text_color: "--button-text", secondary_bg_color: "--secondary-bg" };
  for (const [key, css] of Object.entries(map)) {
    if (p[key]) document.documentElement.style.setProperty(css, p[key]);
  }
}

function haptic(kind) {
  const h = tg && tg.HapticFeedback;
  if (!h) return;
  if (kind === "select") h.selectionChanged(); else h.notificationOccurred(kind);
}

function say(text, error) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = error ? "error" : "";
}

async function api(path, body) {
  const options = { headers: { Authorization: "tma " + initData } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("/app/api/" + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message || "HTTP " + response.status);
  return data;
}

// A small element builder: el("p", {class: "muted"}, "text", child, …).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function when(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function minutes(m) {
  return m >= 60 ? Math.floor(m / 60) + "h " + (m % 60) + "m" : m + "m";
}

function fill(id, nodes, empty) {
  const box = document.getElementById(id);
  box.replaceChildren(...(nodes.length ? nodes : [el("p", { class: "muted" }, empty)]));
}

async function act(path, body, done) {
  try {
    const answer = await api(path, body);
    haptic("success");
    say(answer.message || "Done.");
    if (done) done(answer);
  } catch (e) {
    haptic("error");
    say(e.message, true);
  }
}

// ---- views ----

async function showFleet() {
  const data = await api("fleet");
  fill("agents", data.agents.map((a) => el("div", { class: "card agent", "data-agent": a.name },
    el("h3", {}, el("span", { class: "dot " + a.health }), a.name),
    el("p", {}, a.status.replace("_", " ") + " · @" + a.bot + " · " + a.owner),
    el("p", { class: "muted" }, "last heartbeat: " + when(a.last_heartbeat)),
    a.doing ? el("p", { class: "muted" }, "doing: " + a.doing) : null,
    el("p", { class: "muted" }, "image: " + a.image),
    a.coolify_url ? el("p", {}, el("a", { href: a.coolify_url, target: "_blank", rel: "noopener" }, "Open in Coolify")) : null,
  )), "No agents yet.");
  drawHealth(data.health);
}

function drawHealth(samples) {
  const box = document.getElementById("health-chart");
  if (!samples.length) { box.replaceChildren(el("p", { class: "muted" }, "No samples yet (one an hour).")); return; }
  const W = 320, H = 120, n = samples.length;
  const max = Math.max(1, ...samples.map((s) => s.green + s.yellow + s.red));
  const x = (i) => (n === 1 ? W / 2 : (i / (n - 1)) * (W - 20) + 10);
  const y = (v) => H - 15 - (v / max) * (H - 25);
  // Stacked areas: green at the bottom, then yellow, then red.
  const layers = [["green", (s) => s.green], ["yellow", (s) => s.green + s.yellow], ["red", (s) => s.green + s.yellow + s.red]];
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "fleet health" });
  let below = samples.map(() => 0);
  for (const [name, top] of layers) {
    const tops = samples.map(top);
    const pts = tops.map((v, i) => `${x(i)},${y(v)}`).concat(below.map((v, i) => `${x(i)},${y(v)}`).reverse());
    chart.append(svg("polygon", { points: pts.join(" "), class: "area-" + name }));
    below = tops;
  }
  chart.append(svg("line", { x1: 10, x2: W - 10, y1: H - 15, y2: H - 15, class: "axis" }));
  chart.append(svg("text", { x: 10, y: H - 3 }, when(samples[0].at).slice(5, 16)));
  chart.append(svg("text", { x: W - 10, y: H - 3, "text-anchor": "end" }, when(samples[n - 1].at).slice(5, 16)));
  chart.append(svg("text", { x: 2, y: 10 }, String(max)));
  box.replaceChildren(chart);
}

async function showRequests() {
  const data = await api("requests");
  fill("requests", data.requests.map((r) => el("div", { class: "card request", "data-request": r.id },
    el("h3", {}, "#" + r.id + " " + (r.agent_name || "")),
    el("p", {}, r.email + " · " + r.state_label),
    el("p", { class: "muted" }, r.score === null ? "not scored yet"
      : r.score + " = " + r.parts.map(([what, points]) => points + " " + what).join(" + ")),
    el("p", { class: "muted" }, "waiting since " + when(r.updated_at)),
    el("div", { class: "actions" }, el("button", { class: "act", "data-action": "card", onclick: () => decideInChat(r.id) }, "💬 Decide in chat")),
  )), "No requests waiting.");
}

function decideInChat(id) {
  act(`requests/${id}/card`, {}, () => {
    say("The card is in your chat with the bot.");
    if (tg && tg.close) tg.close();
  });
}

async function showEscalations() {
  const data = await api("escalations");
  const open = data.escalations.filter((e) => !e.decision);
  fill("escalations", open.map((e) => {
    const note = el("textarea", { rows: 2, placeholder: "note for 🔄 Modify: what to do instead", "data-note": e.id });
    const decide = (decision) => act(`escalations/${e.id}/decide`, { decision, note: note.value }, () => showEscalations());
    return el("div", { class: "card escalation", id: "esc-" + e.id },
      el("h3", {}, (e.urgent ? "🚨 " : "") + "#" + e.id + " " + e.agent),
      el("p", {}, "needs: " + e.need),
      el("p", { class: "muted" }, "doing: " + e.doing),
      e.tried.length ? el("p", { class: "muted" }, "tried: " + e.tried.join("; ")) : null,
      el("p", {}, "proposed fix: " + (e.proposed_fix || "none")),
      el("p", { class: "muted" }, "waiting " + minutes(e.waited_minutes) + (e.overdue ? " — past the SLA" : "")),
      note,
      el("div", { class: "actions" },
        e.proposed_fix ? el("button", { class: "act", "data-verdict": "approve", onclick: () => decide("approve") }, "✅ Approve fix") : null,
        el("button", { class: "act danger", "data-verdict": "skip", onclick: () => decide("skip") }, "❌ Skip"),
        el("button", { class: "act", "data-verdict": "modify", onclick: () => decide("modify") }, "🔄 Modify")),
    );
  }), "No open escalations.");
  drawWaiting(data.escalations, data.sla_minutes);
}

function drawWaiting(escalations, sla) {
  const box = document.getElementById("waiting-chart");
  const items = escalations.slice().reverse().slice(-30);
  if (!items.length) { box.replaceChildren(el("p", { class: "muted" }, "No escalations in the last 30 days.")); return; }
  const W = 320, H = 120, bw = Math.min((W - 20) / items.length, 24);
  const max = Math.max(sla, ...items.map((e) => e.waited_minutes), 1);
  const y = (v) => H - 15 - (v / max) * (H - 25);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "escalation waiting times" });
  items.forEach((e, i) => {
    const bar = svg("rect", { x: 10 + i * bw + 1, y: y(e.waited_minutes), width: Math.max(bw - 2, 1),
      height: H - 15 - y(e.waited_minutes), class: e.decision ? "bar-decided" : "bar-open" });
    bar.append(svg("title", {}, `#${e.id} ${e.agent}: ${minutes(e.waited_minutes)}`));
    chart.append(bar);
  });
  chart.append(svg("line", { x1: 10, x2: W - 10, y1: y(sla), y2: y(sla), class: "sla" }));
  chart.append(svg("text", { x: W - 10, y: y(sla) - 2, "text-anchor": "end" }, "SLA " + minutes(sla)));
  chart.append(svg("line", { x1: 10, x2: W - 10, y1: H - 15, y2: H - 15, class: "axis" }));
  chart.append(svg("text", { x: 10, y: H - 3 }, "red: open · blue: decided"));
  box.replaceChildren(chart);
}

async function showLeads() {
  const data = await api("leads");
  fill("leads", data.leads.map((l) => el("div", { class: "card lead", "data-lead": l.id },
    el("h3", {}, "#" + l.id + " " + l.email),
    el("p", { class: "muted" }, l.score === null ? "not scored yet"
      : l.score + " = " + l.parts.map(([what, points]) => points + " " + what).join(" + ")),
    el("p", { class: "muted" }, "on the track since " + when(l.updated_at)),
    el("div", { class: "actions" }, el("button", { class: "act", "data-action": "qualify",
      onclick: () => act(`leads/${l.id}/qualify`, {}, () => showLeads()) }, "⬆️ Qualify")),
  )), "Nobody on the contact track.");
}

async function showFunnel() {
  const data = await api("funnel");
  const W = 320, H = 160, weeks = data.weeks, k = data.stages.length;
  const max = Math.max(1, ...weeks.map((w) => w.counts[0]));
  const gw = (W - 20) / weeks.length, bw = Math.max((gw - 4) / k, 1);
  const y = (v) => H - 15 - (v / max) * (H - 25);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "onboarding funnel per week" });
  weeks.forEach((w, i) => {
    w.counts.forEach((c, s) => {
      const bar = svg("rect", { x: 10 + i * gw + 2 + s * bw, y: y(c), width: bw, height: H - 15 - y(c), class: "s" + s });
      bar.append(svg("title", {}, `${w.week} ${data.stages[s].label}: ${c}`));
      chart.append(bar);
    });
    chart.append(svg("text", { x: 10 + i * gw + gw / 2, y: H - 3, "text-anchor": "middle" }, w.week.slice(5)));
  });
  chart.append(svg("line", { x1: 10, x2: W - 10, y1: H - 15, y2: H - 15, class: "axis" }));
  chart.append(svg("text", { x: 2, y: 10 }, String(max)));
  const legend = el("div", { class: "legend" },
    ...data.stages.map((s, i) => el("span", {}, el("span", { class: "swatch s" + i }), s.label)));
  document.getElementById("funnel-chart").replaceChildren(chart, legend);
  const head = el("tr", {}, el("th", {}, "week"), ...data.stages.map((s) => el("th", {}, s.label)));
  const rows = weeks.slice().reverse().map((w) => el("tr", {}, el("td", {}, w.week), ...w.counts.map((c) => el("td", {}, String(c)))));
  document.getElementById("funnel-table").replaceChildren(el("table", {}, head, ...rows));
}

const show = { fleet: showFleet, requests: showRequests, escalations: showEscalations, leads: showLeads, funnel: showFunnel };

async function open(view, remember) {
  if (remember && view !== current) trail.push(current);
  current = view;
  for (const v of views) {
    document.getElementById("view-" + v).hidden = v !== view;
    document.getElementById("tab-" + v).classList.toggle("active", v === view);
  }
  if (tg && tg.BackButton) { if (trail.length) tg.BackButton.show(); else tg.BackButton.hide(); }
  try {
    await show[view]();
    document.body.dataset.loaded = view;
  } catch (e) {
    say(e.message, true);
  }
}

function spawn(event) {
  event.preventDefault();
  const name = document.getElementById("spawn-name"), token = document.getElementById("spawn-token");
  act("spawn", { name: name.value, token: token.value }, () => { token.value = ""; name.value = ""; showFleet(); });
}

function start() {
  applyTheme();
  if (tg) {
    tg.ready();
    tg.expand();
    if (tg.onEvent) tg.onEvent("themeChanged", applyTheme);
    if (tg.BackButton) tg.BackButton.onClick(() => { if (trail.length) open(trail.pop(), false); });
  }
  if (!initData) { say("Open the panel from the bot in Telegram.", true); return; }
  for (const v of views) {
    document.getElementById("tab-" + v).addEventListener("click", () => { haptic("select"); say(""); open(v, true); });
  }
  document.getElementById("spawn-form").addEventListener("submit", spawn);
  open("fleet", false);
}

start();
