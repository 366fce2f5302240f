// The browser harness shared by the staff and kiosk tests: starts the real demo server (its own
// process, a fresh data directory), reads the lines it prints, launches Debian's Chromium headless
// through playwright-core, checks pages with axe-core and writes screenshots as test output.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUT = join(here, "output");
mkdirSync(OUTPUT, { recursive: true });

/** Starts `abholbox demo` and resolves with what it printed, once it printed its last line. */
export async function startDemo() {
  const bin = process.env.ABHOLBOX_BIN || join(here, "..", "target", "debug", "abholbox");
  const dataDir = mkdtempSync(join(tmpdir(), "abholbox-browser-"));
  const child = spawn(bin, ["demo", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const lines = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the demo did not start: ${stderr}`)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      // The waiting documents are printed last, once the demo has loaded them.
      if (/^admin sign-in: .+$/m.test(out) && (out.match(/^\s*waiting: /gm) || []).length >= 4) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the demo exited (${code}): ${stderr}`)); });
  });
  const line = (label) => {
    const m = lines.match(new RegExp(`^${label}: (.+)$`, "m"));
    if (!m) throw new Error(`the demo printed no "${label}:" line:\n${lines}`);
    return m[1].trim();
  };
  const signIn = (role) => { const [name, password] = line(`${role} sign-in`).split(" "); return { name, password }; };
  const staff = line("staff");
  const waiting = [...lines.matchAll(/^\s*waiting: (.+?) \((\w+)\): phone ([\d ]+), PIN (\d+), (old document (\w+)|birth date ([\d.]+))$/gm)]
    .map((m) => ({ who: m[1], kind: m[2], phone: m[3], pin: m[4], oldDocument: m[6] || null, birthDate: m[7] || null }));
  return {
    child,
    staff,
    base: staff.replace(/\/staff$/, ""),
    integration: line("integration token"),
    kiosk: line("kiosk token"),
    kioskLink: line("kiosk"),
    simulator: line("simulator"),
    panelId: (lines.match(/reader is (\S+)$/m) || [])[1],
    waiting,
    clerk: signIn("clerk"),
    supervisor: signIn("supervisor"),
    admin: signIn("admin"),
    // The demo's data directory goes with it: each run makes a fresh one.
    stop: () => new Promise((resolve) => {
      child.once("exit", () => { rmSync(dataDir, { recursive: true, force: true }); resolve(); });
      child.kill("SIGTERM");
    }),
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"],
  });
}

/** A JSON call to the API, as the registry or a panel makes it. */
export async function api(base, method, path, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const answer = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: answer.status, body: json };
}

/** Waits until `probe` returns something truthy (a door event is handled after the call). */
export async function until(probe, what, seconds = 10) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** axe-core with the WCAG 2.2 AA tags; returns the violations, each with where it is. */
export async function accessibility(page) {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "EN-301-549"])
    .analyze();
  return result.violations.map((v) => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
}

/** A German ID card's machine-readable zone (TD1) with correct check digits, as the slot's reader sends it. */
export function germanId(number, birth, expiry, surname, given) {
  const weights = [7, 3, 1];
  const value = (c) => (c === "<" ? 0 : /\d/.test(c) ? Number(c) : c.charCodeAt(0) - 55);
  const cd = (s) => String([...s].reduce((sum, c, i) => sum + value(c) * weights[i % 3], 0) % 10);
  const l1 = ("IDD<<" + number + cd(number)).padEnd(30, "<");
  const core = birth + cd(birth) + "<" + expiry + cd(expiry) + "D<<" + "<".repeat(11);
  const composite = l1.slice(5, 30) + core.slice(0, 7) + core.slice(8, 15) + core.slice(18, 29);
  const l2 = core + cd(composite);
  const l3 = (surname + "<<" + given).padEnd(30, "<");
  return [l1, l2, l3].join("\r\n") + "\r\n";
}
