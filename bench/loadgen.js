"use strict";
/*
 * Krug load generator: one worker process driving many rooms through the official
 * socket.io client (socket.io-client 4.8.4 from /work/main/node_modules, Node 20).
 *
 * Controlled by bench/harness.py over stdin/stdout, one JSON object per line:
 *   {"cmd": "init", ...}   connect every client of the given rooms, wait for their first state
 *   {"cmd": "start"}       Krug: each room's leader sends `start` (the meeting begins)
 *   {"cmd": "load", ...}   realistic load: each room acts at its own random moments
 *   {"cmd": "burst", ...}  every room acts at one agreed instant (epoch ms), once
 *   {"cmd": "quiet", ...}  a few actions of the first room, some ms apart
 *   {"cmd": "close"}       disconnect everything and exit
 * Each answer is one JSON line. Everything is bounded in time.
 *
 * Latency: the acting client notes t0 = performance.now() just before it emits the action; every
 * client of the room notes when a `room_state` arrives and its version `v`; the action's ack
 * carries the new `v`. A room's clients all live in this process, so one clock serves them all.
 * per-delivery latency = t_receive - t0; room-complete latency = max over the room's receivers.
 */
const path = require("path");
const readline = require("readline");
const { performance, monitorEventLoopDelay } = require("perf_hooks");
const { io } = require(path.join(__dirname, "..", "node_modules", "socket.io-client"));

const now = () => performance.now();
const ACK_TIMEOUT_MS = 20000;

const SENTENCES = [
  "Как давно вы наблюдаете этого пациента и что изменилось за последний год?",
  "Мне кажется, отец чувствует собственное бессилие и переносит злость на врача.",
  "Что вы почувствовали в тот момент, когда он повысил голос?",
  "Возможно, пациентка боится, что её перестанут принимать всерьёз.",
  "Кто ещё в семье участвует в решениях о лечении?",
  "У меня возникает образ закрытой двери: врач стучит, а внутри делают вид, что никого нет.",
  "Было ли что-то похожее в вашей практике раньше?",
  "Похоже, доктор взял на себя роль спасателя, и от этого ему так тяжело.",
];

let cfg = null;      // the init message
let rooms = [];      // {index, clients, receipts, actions, seq, phaseTurn, turn, unmatched}
let sampleState = null;
let sampleAt = null;

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function log(...args) {
  process.stderr.write(`[loadgen ${cfg ? cfg.worker : "?"}] ${args.join(" ")}\n`);
}

// ------------------------------------------------------------------ connecting

function connectClient(room, spec, idx) {
  return new Promise((resolve) => {
    const client = { idx, role: spec.role, sock: null, connected: false, gotState: false,
                     lastV: -1, outOfOrder: 0, disconnects: 0, error: null };
    const sock = io(cfg.url, {
      transports: ["websocket"],
      auth: spec.auth,
      reconnection: false,
      forceNew: true,           // one connection per client, as one phone = one socket
      timeout: cfg.connect_timeout_ms,
      // Browsers offer permessage-deflate; so does the Node client by default ({threshold: 1024}).
      perMessageDeflate: cfg.deflate ? { threshold: 1024 } : false,
    });
    client.sock = sock;
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => { client.error = client.error || "timeout"; done(false); },
                             cfg.connect_timeout_ms + 2000);
    sock.on("connect", () => {
      client.connected = true;
      if (!cfg.wait_state) done(true);
    });
    sock.on("connect_error", (err) => {
      client.error = (err && err.data && err.data.code) || (err && err.message) || "connect_error";
      done(false);
    });
    sock.on("disconnect", () => {
      if (client.connected) client.disconnects += 1;
      client.connected = false;
    });
    sock.on("room_state", (state) => {
      const t = now();
      if (!client.gotState) {
        client.gotState = true;
        if (cfg.wait_state) done(true);
      }
      onState(room, client, state, t);
    });
    room.clients[idx] = client;
  });
}

function onState(room, client, state, t) {
  const v = state.v;
  if (v < client.lastV) client.outOfOrder += 1;
  client.lastV = Math.max(client.lastV, v);
  if (!room.recording) return;
  let arr = room.receipts.get(v);
  if (arr === undefined) {
    arr = new Float64Array(room.clients.length).fill(NaN);
    room.receipts.set(v, arr);
  }
  if (!Number.isNaN(arr[client.idx])) room.duplicates += 1;
  else arr[client.idx] = t;
  if (sampleAt !== null && t >= sampleAt && client.role === "screen" && room.index === rooms[0].index) {
    sampleState = state;
    sampleAt = null;
  }
}

async function init(msg) {
  cfg = Object.assign({ connect_timeout_ms: 20000, concurrency: 16, wait_state: true }, msg);
  const started = now();
  rooms = msg.rooms.map((r) => ({
    index: r.index, specs: r.clients, clients: new Array(r.clients.length), receipts: new Map(),
    actions: [], seq: 0, phaseTurn: 0, turn: 0, recording: false, duplicates: 0,
  }));
  const jobs = [];
  for (const room of rooms) room.specs.forEach((spec, idx) => jobs.push([room, spec, idx]));
  let next = 0;
  let connected = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const [room, spec, idx] = jobs[next++];
      if (await connectClient(room, spec, idx)) connected += 1;
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, lane));
  const errors = {};
  let deflate = 0;
  for (const room of rooms) {
    for (const c of room.clients) {
      if (c.error) errors[c.error] = (errors[c.error] || 0) + 1;
      const ws = c.sock.io.engine && c.sock.io.engine.transport && c.sock.io.engine.transport.ws;
      if (ws && String(ws.extensions).includes("permessage-deflate")) deflate += 1;
    }
  }
  return { ok: true, expected: jobs.length, connected, errors, deflate_negotiated: deflate,
           ms: now() - started };
}

// ------------------------------------------------------------------ actions

function actorsOf(room) {
  // Everyone in the circle may act (leader and phones); the screen only shows.
  return room.clients.filter((c) => c.role !== "screen");
}

function chooseAction(room) {
  room.seq += 1;
  const actors = actorsOf(room);
  if (cfg.mode === "floor") {
    const client = actors[room.turn++ % actors.length];
    return { client, event: "act", payload: {}, kind: "act" };
  }
  if (cfg.phase_every > 0 && room.seq % cfg.phase_every === 0) {
    const leader = room.clients.find((c) => c.role === "leader");
    room.phaseTurn = (room.phaseTurn + 1) % cfg.phase_count;
    return { client: leader, event: "jump_to_phase", payload: { index: room.phaseTurn }, kind: "phase" };
  }
  const client = actors[room.turn++ % actors.length];
  const text = SENTENCES[room.seq % SENTENCES.length];
  return {
    client, event: "post_card", kind: "card",
    payload: { client_id: `w${cfg.worker}r${room.index}s${room.seq}`, kind: cfg.card_kind, text },
  };
}

function act(room, counts) {
  const a = chooseAction(room);
  const rec = { v: null, t0: 0, done: false, error: null, kind: a.kind, measured: counts };
  room.actions.push(rec);
  if (!a.client.connected) {
    rec.error = "actor_disconnected";
    rec.done = true;
    return;
  }
  rec.t0 = now();
  a.client.sock.timeout(ACK_TIMEOUT_MS).emit(a.event, a.payload, (err, ack) => {
    rec.done = true;
    rec.ackMs = now() - rec.t0;
    if (err) rec.error = "ack_timeout";
    else if (!ack || !ack.ok) rec.error = (ack && ack.error && ack.error.code) || "refused";
    else rec.v = ack.v;
  });
}

function resetRecording() {
  for (const room of rooms) {
    room.receipts = new Map();
    room.actions = [];
    room.duplicates = 0;
    room.recording = true;
  }
}

function complete(room, rec) {
  if (!rec.done) return false;
  if (rec.error) return true;
  const arr = room.receipts.get(rec.v);
  if (!arr) return false;
  for (let i = 0; i < arr.length; i++) {
    if (Number.isNaN(arr[i]) && room.clients[i].connected) return false;
  }
  return true;
}

async function drain(limitMs) {
  const until = now() + limitMs;
  while (now() < until) {
    let pending = 0;
    for (const room of rooms) for (const rec of room.actions) if (!complete(room, rec)) pending += 1;
    if (pending === 0) return true;
    await sleep(25);
  }
  return false;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function collect(extra) {
  const perDelivery = [];
  const roomComplete = [];
  const ackLatency = [];
  const errors = {};
  let actions = 0, acked = 0, expected = 0, delivered = 0, duplicates = 0, unmatched = 0, allActions = 0;
  let disconnects = 0, outOfOrder = 0;
  for (const room of rooms) {
    room.recording = false;
    duplicates += room.duplicates;
    const matched = new Set();
    allActions += room.actions.length;
    for (const rec of room.actions) {
      if (!rec.measured) continue;
      actions += 1;
      if (rec.error || rec.v === null) {
        const code = rec.error || "no_ack";
        errors[code] = (errors[code] || 0) + 1;
        continue;
      }
      acked += 1;
      ackLatency.push(round2(rec.ackMs));
      matched.add(rec.v);
      const arr = room.receipts.get(rec.v);
      expected += room.clients.length;
      let worst = -1;
      let all = true;
      for (let i = 0; i < room.clients.length; i++) {
        const t = arr ? arr[i] : NaN;
        if (Number.isNaN(t)) { all = false; continue; }
        delivered += 1;
        const d = t - rec.t0;
        perDelivery.push(round2(d));
        if (d > worst) worst = d;
      }
      if (all) roomComplete.push(round2(worst));
    }
    for (const rec of room.actions) if (rec.v !== null) matched.add(rec.v);
    for (const v of room.receipts.keys()) if (!matched.has(v)) unmatched += 1;
    for (const c of room.clients) { disconnects += c.disconnects; outOfOrder += c.outOfOrder; }
  }
  return Object.assign({ ok: true, actions, all_actions: allActions, acked, errors, expected, delivered,
                         duplicates, unmatched_versions: unmatched, disconnects, out_of_order: outOfOrder,
                         per_delivery: perDelivery, room_complete: roomComplete, ack: ackLatency }, extra);
}

function measureStart() {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  return { h, cpu: process.cpuUsage(), wall: now() };
}

function measureEnd(m) {
  m.h.disable();
  const cpu = process.cpuUsage(m.cpu);
  const wall = now() - m.wall;
  const ms = (ns) => round2(ns / 1e6);
  return { gen_cpu_pct: round2(((cpu.user + cpu.system) / 1000) / wall * 100), wall_ms: round2(wall),
           loop_delay_ms: { p50: ms(m.h.percentile(50)), p99: ms(m.h.percentile(99)), max: ms(m.h.max) } };
}

async function load(msg) {
  // Realistic load: each room acts at its own random moments, `rate` actions per second on
  // average (gaps uniform in [0, 2/rate] s). Actions in the first `warmup_s` are not counted.
  resetRecording();
  const m = measureStart();
  const t0 = now();
  const warmEnd = t0 + msg.warmup_s * 1000;
  const end = warmEnd + msg.duration_s * 1000;
  sampleAt = warmEnd + (msg.duration_s * 1000) / 2;
  const mean = 1000 / msg.rate;
  const timers = [];
  for (const room of rooms) {
    const tick = () => {
      const t = now();
      if (t >= end) return;
      act(room, t >= warmEnd);
      timers.push(setTimeout(tick, Math.random() * 2 * mean));
    };
    timers.push(setTimeout(tick, Math.random() * mean));
  }
  await sleep(end - now() + 5);
  const drained = await drain(msg.drain_s * 1000);
  timers.forEach(clearTimeout);
  const out = collect(Object.assign({ drained }, measureEnd(m)));
  if (sampleState) out.sample_state = sampleState;
  sampleState = null;
  return out;
}

async function burst(msg) {
  // All rooms act at the same agreed instant (epoch ms shared by every worker), once.
  resetRecording();
  const m = measureStart();
  await sleep(Math.max(0, msg.at_ms - Date.now()));
  for (const room of rooms) act(room, true);
  const drained = await drain(msg.drain_s * 1000);
  return collect(Object.assign({ drained }, measureEnd(m)));
}

async function quiet(msg) {
  // One room, sparse actions: `events` actions `gap_ms` apart, in `rounds` rounds.
  resetRecording();
  const m = measureStart();
  const room = rooms[0];
  for (let r = 0; r < msg.rounds; r++) {
    const base = now();
    for (let i = 0; i < msg.events; i++) {
      await sleep(Math.max(0, base + i * msg.gap_ms - now()));
      act(room, true);
    }
    await drain(msg.drain_s * 1000);
    await sleep(msg.pause_ms);
  }
  return collect(measureEnd(m));
}

async function start() {
  if (cfg.mode !== "krug") return { ok: true, errors: {} };
  const errors = {};
  await Promise.all(rooms.map((room) => new Promise((resolve) => {
    const leader = room.clients.find((c) => c.role === "leader");
    leader.sock.timeout(ACK_TIMEOUT_MS).emit("start", {}, (err, ack) => {
      if (err || !ack || !ack.ok) {
        const code = err ? "ack_timeout" : (ack && ack.error && ack.error.code) || "refused";
        errors[code] = (errors[code] || 0) + 1;
      }
      resolve();
    });
  })));
  return { ok: Object.keys(errors).length === 0, errors };
}

async function close() {
  for (const room of rooms) for (const c of room.clients) if (c && c.sock) c.sock.disconnect();
  await sleep(100);
  return { ok: true };
}

const handlers = { init, start, load, burst, quiet, close };

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  queue = queue.then(async () => {
    try {
      const handler = handlers[msg.cmd];
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      send(await handler(msg));
    } catch (err) {
      send({ ok: false, fatal: String(err && err.stack || err) });
    }
    if (msg.cmd === "close") process.exit(0);
  });
});
rl.on("close", () => process.exit(0));
// The harness kills a stuck worker, but never let one outlive an hour.
setTimeout(() => process.exit(3), 3600 * 1000).unref();
