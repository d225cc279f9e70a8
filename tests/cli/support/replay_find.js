#!/usr/bin/env node
// Opens URL in headless Chromium and waits until some frame of the page (at any depth:
// ReplayWeb.page renders the archived page in an iframe inside its own iframe, behind
// shadow roots) shows TEXT; prints that frame's URL and exits 0, or exits 1 after SECONDS
// with the frames' URLs and texts seen last. Node built-ins only: the Chrome DevTools
// Protocol over --remote-debugging-pipe (fd 3 to the browser, fd 4 from it, NUL-framed).
//
//   node replay_find.js CHROMIUM PROFILE_DIR URL TEXT SECONDS
"use strict";
const { spawn } = require("child_process");

const [chromium, profile, url, text, seconds] = process.argv.slice(2);
const child = spawn(chromium, [
  "--headless", "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
  "--disable-gpu", "--no-sandbox", `--user-data-dir=${profile}`, "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"], detached: true });
let stderr = "";
child.stdio[2].on("data", (d) => { stderr += d; });
const toBrowser = child.stdio[3];
const fromBrowser = child.stdio[4];

let nextId = 1;
const pending = new Map();
let buf = Buffer.alloc(0);
fromBrowser.on("data", (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  let nul;
  while ((nul = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.subarray(0, nul).toString("utf8"));
    buf = buf.subarray(nul + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result);
    }
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  const msg = { id, method, params };
  if (sessionId) msg.sessionId = sessionId;
  toBrowser.write(JSON.stringify(msg) + "\0");
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function frames(tree, out = []) {
  out.push(tree.frame);
  for (const c of tree.childFrames || []) frames(c, out);
  return out;
}

async function main() {
  const deadline = Date.now() + Number(seconds) * 1000;
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  await send("Page.enable", {}, sessionId);
  await send("Page.navigate", { url }, sessionId);
  let seen = [];
  // ReplayWeb.page registers its service worker, then opens the replay frame; on a loaded
  // machine the frame can be requested before the worker controls it, and the test server
  // answers it "not found" (a race its authors describe: the worker takes effect on the
  // next load). Then the page is loaded again, as a person would; the text still has to
  // come from the replay frame (the caller checks which frame showed it).
  let reloads = 0;
  let lastLoad = Date.now();
  while (Date.now() < deadline) {
    await sleep(500);
    seen = [];
    let missed = false;
    let tree;
    try {
      tree = (await send("Page.getFrameTree", {}, sessionId)).frameTree;
    } catch (e) {
      continue;
    }
    for (const f of frames(tree)) {
      try {
        const { executionContextId } = await send("Page.createIsolatedWorld", { frameId: f.id, worldName: "find" }, sessionId);
        const r = await send("Runtime.evaluate", {
          expression: "document.body ? document.body.innerText : ''", contextId: executionContextId, returnByValue: true,
        }, sessionId);
        const t = String((r.result && r.result.value) || "");
        seen.push(`${f.url}: ${t.slice(0, 200).replace(/\s+/g, " ")}`);
        if (t.trim() === "not found") missed = true;
        if (t.includes(text)) {
          console.log(f.url);
          return 0;
        }
      } catch (e) {
        seen.push(`${f.url}: (${e.message})`);
      }
    }
    if (missed && reloads < 10 && Date.now() - lastLoad > 2000) {
      reloads++;
      lastLoad = Date.now();
      await send("Page.reload", {}, sessionId);
    }
  }
  console.error(`"${text}" not found in ${seconds} s (${reloads} reloads); frames:\n${seen.join("\n")}\nbrowser stderr (end):\n${stderr.slice(-2000)}`);
  return 1;
}

// The browser leads its own process group (detached): all of it is killed, and this
// exits once the leader is gone, so the caller can remove the profile.
function finish(rc) {
  child.on("exit", () => process.exit(rc));
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch (e) {
    process.exit(rc);
  }
}
main().then(finish, (e) => { console.error(String(e.stack || e)); finish(2); });
