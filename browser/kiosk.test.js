// The kiosk panel in Debian's Chromium against the real demo server: paired from the demo's link,
// pickups by tapping and by the tactile keys alone with speech, a wrong PIN, the idle warning, every
// language (Arabic right to left) in both display modes under axe-core, and the figures of a pickup:
// key presses, wall time, the slowest step's answer and the bytes the panel transfers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, launch, api, until, accessibility, screenshot, germanId } from "./harness.js";

let demo;
let browser;
const figures = {};

before(async () => {
  demo = await startDemo();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  if (Object.keys(figures).length) console.log(`kiosk figures: ${JSON.stringify(figures)}`);
});

/** A browser paired with the demo's panel through its printed link; speech calls are recorded. */
async function panel(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1080, height: 1400 } });
  await context.addInitScript(() => {
    window.__spoken = [];
    window.__tones = 0;
    if (window.speechSynthesis) {
      const real = window.speechSynthesis.speak.bind(window.speechSynthesis);
      window.speechSynthesis.speak = (u) => {
        window.__spoken.push({ text: u.text, lang: u.lang, screen: document.body ? document.body.dataset.screen : "" });
        try { real(u); } catch { /* no voice in a headless browser */ }
      };
    }
    const Audio = window.AudioContext;
    if (Audio) {
      const create = Audio.prototype.createOscillator;
      Audio.prototype.createOscillator = function oscillator() { window.__tones += 1; return create.call(this); };
    }
  });
  const page = await context.newPage();
  const meter = await measure(context, page);
  if (options.clock) await page.clock.install();
  await page.goto(demo.kioskLink);
  assert.equal(new URL(page.url()).pathname, "/kiosk");
  assert.equal(new URL(page.url()).search, "", "nothing secret stays in the address");
  await page.waitForSelector('body[data-screen="start"]');
  return { context, page, meter };
}

const screenOf = (page) => page.evaluate(() => document.body.dataset.screen);
/** The next screen after `from`; polled from outside, so that it works under a fake page clock. */
async function next(page, from) {
  return until(async () => { const s = await screenOf(page); return s !== from && s; }, `a screen after ${from}`, 15);
}

/** An admin changes the demo's site through the API with their session, as the staff app would. */
async function changeSite(patch) {
  const admin = await browser.newContext();
  const staff = await admin.newPage();
  await staff.goto(`${demo.staff}/sign-in`);
  await staff.getByLabel("Anmeldename").fill(demo.admin.name);
  await staff.getByLabel("Passwort").fill(demo.admin.password);
  await staff.getByRole("button", { name: "Anmelden" }).click();
  await staff.waitForURL(demo.staff);
  const changed = await staff.evaluate(async (change) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const sites = await (await fetch("/api/v1/admin/sites")).json();
    const { id, ...site } = sites.find((s) => s.id === "dus-dlz");
    const r = await fetch("/api/v1/admin/sites/dus-dlz", {
      method: "PUT", headers: { "content-type": "application/json", "x-csrf-token": token },
      body: JSON.stringify({ ...site, ...change }),
    });
    return [r.status, await r.text()];
  }, patch);
  assert.equal(changed[0], 200, changed[1]);
  await admin.close();
}

/** Registers and loads a document through the API, as the registry and the staff would. */
async function waiting({ reference, phone, birth, old, kind = "id_card" }) {
  const registered = await api(demo.base, "POST", "/api/v1/pickups", demo.integration, {
    reference, site: "dus-dlz", document_kind: kind, document_number: null, phone, birth_date: birth,
    old_document_number: old || null, language: "de", low_compartment: false,
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const loaded = await api(demo.base, "POST", "/api/v1/boxes/dlz-1/deposits", demo.integration, { pickup: registered.body.id });
  assert.equal(loaded.status, 201, JSON.stringify(loaded.body));
  await closeDoor(loaded.body.compartment);
  await until(async () => (await api(demo.base, "GET", `/api/v1/pickups/${registered.body.id}`, demo.integration)).body.status === "ready", "ready");
  return registered.body.id;
}

async function pinFor(phone) {
  const e164 = `+49${phone.replace(/\D/g, "").replace(/^0/, "")}`;
  return until(async () => {
    const inbox = await api(demo.base, "GET", `/api/v1/sim/sms?to=${encodeURIComponent(e164)}`);
    const texts = (inbox.body || []).map((m) => m.text).reverse();
    for (const t of texts) { const m = /PIN (\d+)/.exec(t); if (m) return m[1]; }
    return null;
  }, `an SMS to ${e164}`);
}

async function closeDoor(compartment) {
  await until(async () => {
    const closed = await api(demo.base, "POST", `/api/v1/sim/boxes/dlz-1/compartments/${compartment}/close`, null, {});
    return closed.status === 200 || closed.status === 204;
  }, `door ${compartment} closed`);
}

async function closeOpenDoor() {
  const open = await until(async () => (await api(demo.base, "GET", "/api/v1/sim/boxes/dlz-1")).body.open_doors?.[0], "an open door");
  await closeDoor(open);
}

async function insertOldDocument(number) {
  const zone = germanId(number, "700101", "351231", "MUSTERMANN", "ERIKA");
  const put = await api(demo.base, "POST", "/api/v1/sim/boxes/dlz-1/reader", null, { mrz: zone, panel: demo.panelId });
  assert.ok(put.status < 300, JSON.stringify(put.body));
}


async function checked(page, name, { modes = true } = {}) {
  await screenshot(page, name);
  assert.deepEqual(await accessibility(page), [], `axe on ${name}`);
  if (!modes) return;
  // Switched through the page's own buttons, also where the idle dialog lies over them.
  const toggle = (mode) => page.evaluate((m) => document.querySelector(`[data-mode="${m}"]`).click(), mode);
  await toggle("contrast");
  await screenshot(page, `${name}-contrast`);
  assert.deepEqual(await accessibility(page), [], `axe on ${name} in high contrast`);
  await toggle("large");
  assert.deepEqual(await accessibility(page), [], `axe on ${name} in high contrast with large text`);
  await toggle("contrast");
  await screenshot(page, `${name}-large`);
  assert.deepEqual(await accessibility(page), [], `axe on ${name} with large text`);
  await toggle("large");
}

/** Counts key presses and the wall time from the first, the panel's bytes from pairing on
 * (Chromium's network events: page, style, script, every screen and long-poll) and each post's answer time. */
async function measure(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  cdp.on("Network.loadingFinished", (e) => { bytes += e.encodedDataLength; });
  const answers = [];
  page.on("requestfinished", (r) => { if (r.method() === "POST") answers.push(r.timing().responseEnd); });
  let presses = 0;
  let started = null;
  return {
    press: async (key) => { started ??= Date.now(); presses += 1; await page.keyboard.press(key); },
    figures: () => ({ presses, wall_ms: Date.now() - started, slowest_answer_ms: Math.round(Math.max(...answers)), bytes }),
  };
}

async function tap(page, digits) {
  for (const d of digits.replace(/[ .]/g, "")) await page.click(`.keypad [data-key="${d}"]`);
}

test("a visitor collects one of the demo's waiting documents by tapping, the birth date as the third factor", async () => {
  const who = demo.waiting.find((w) => w.birthDate && w.kind === "passport");
  assert.ok(who, "the demo has a document waiting for its birth date");
  const { context, page } = await panel();
  await checked(page, "kiosk-start");
  await page.getByRole("button", { name: "Deutsch" }).click();
  assert.equal(await next(page, "start"), "phone");
  await tap(page, who.phone);
  assert.equal(await page.inputValue("#entry"), who.phone, "grouped as people write it");
  await page.getByRole("button", { name: /Weiter/ }).click();
  assert.equal(await next(page, "phone"), "pin");
  await tap(page, who.pin);
  assert.equal(await page.getAttribute("#entry", "type"), "password", "the PIN is masked");
  await page.getByRole("button", { name: "PIN zeigen" }).click();
  assert.equal(await page.inputValue("#entry"), who.pin);
  await page.getByRole("button", { name: /Weiter/ }).click();
  assert.equal(await next(page, "pin"), "birth_date");
  await tap(page, who.birthDate);
  assert.equal(await page.inputValue("#entry"), who.birthDate, "the dots appear by themselves");
  await page.getByRole("button", { name: /Weiter/ }).click();
  assert.equal(await next(page, "birth_date"), "collect");
  assert.match(await page.locator("h1").innerText(), /^Fach [A-Z]-\d{3} öffnet sich$/);
  assert.match(await page.locator("main").innerText(), /Reihe von unten, \d+\. Fach von links/);
  assert.equal(await page.locator(".map .open").count(), 1, "the map marks the open compartment");
  await closeOpenDoor();
  assert.equal(await next(page, "collect"), "done");
  await context.close();
});

test("side by side with the simulator page, a family collects two documents without typing a command", async () => {
  const { context, page } = await panel();
  // A window of its own, as side by side on a screen: a background tab would be throttled.
  const simContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const sim = await simContext.newPage();
  await sim.goto(demo.simulator);
  await checked(sim, "sim-page", { modes: false });
  const row = sim.locator("tbody tr", { hasText: "Olena Kovalenko" });
  const phone = (await row.locator("td").nth(1).innerText()).trim();
  const pin = (await row.locator("td").nth(2).innerText()).trim();
  const childRow = sim.locator("tbody tr", { hasText: "Mila Kovalenko" });
  const birth = (await childRow.locator("td").nth(3).innerText()).match(/\d\d\.\d\d\.\d{4}/)[0];

  await page.getByRole("button", { name: "Українська" }).click();
  assert.equal(await next(page, "start"), "phone");
  await tap(page, phone);
  await page.keyboard.press("Enter");
  await next(page, "phone");
  await tap(page, pin);
  await page.keyboard.press("Enter");
  assert.equal(await next(page, "pin"), "old_document");
  await sim.locator(".card", { hasText: "T22000129" }).click();
  assert.equal(await next(page, "old_document"), "collect");
  const open = sim.locator(".cell.open");
  await open.waitFor();
  await screenshot(sim, "sim-door-open");
  await open.click();
  assert.equal(await next(page, "collect"), "birth_date");
  assert.match(await page.locator("main").innerText(), /2\D+2/, "document 2 of 2");
  await tap(page, birth);
  await page.keyboard.press("Enter");
  assert.equal(await next(page, "birth_date"), "collect");
  await sim.locator(".cell.open").click();
  assert.equal(await next(page, "collect"), "done");
  await until(async () => (await sim.locator(".cell.open").count()) === 0, "all doors closed on the simulator page");
  assert.match(await sim.locator("#sms").innerText(), /PIN \d+/, "the phone's inbox shows the SMS");
  await simContext.close();
  await context.close();
});

test("a wrong PIN is refused without saying which factor was wrong", async () => {
  const phone = "0170 7000001";
  await waiting({ reference: "K-WRONG-1", phone, birth: "1950-05-05" });
  const pin = await pinFor(phone);
  const { context, page } = await panel();
  await page.keyboard.press("F1");
  await page.click('[data-mode="contrast"]');
  await page.keyboard.press("Enter");
  await next(page, "start");
  await tap(page, phone);
  await page.keyboard.press("Enter");
  await next(page, "phone");
  await tap(page, pin === "000000" ? "111111" : "000000");
  await page.keyboard.press("Enter");
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /Handynummer oder PIN stimmen nicht.*Schalter/);
  assert.equal(await screenOf(page), "pin");
  await checked(page, "kiosk-pin-wrong", { modes: false });
  await page.keyboard.press("F3");
  assert.equal(await next(page, "pin"), "help");
  await page.keyboard.press("Enter");
  await page.getByRole("alert").filter({ hasText: "Das Personal ist informiert" }).waitFor();
  await page.keyboard.press("Escape");
  assert.equal(await next(page, "help"), "pin");
  await page.keyboard.press("Escape");
  assert.equal(await next(page, "pin"), "start");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("abholbox-speech")), "off", "the next citizen starts silent");
  assert.equal(await page.evaluate(() => document.documentElement.className), "", "and in the normal display");
  await context.close();
});

test("after a minute without input a warning counts down; Enter extends once, then everything is cleared", async () => {
  const { context, page } = await panel({ clock: true });
  await page.keyboard.press("F1");
  await page.keyboard.press("Enter");
  await next(page, "start");
  await tap(page, "0151");
  // Under the page's fake clock the test polls from outside, not with the page's own timers.
  const warningShown = () => page.locator("#idle").isVisible();
  await page.clock.fastForward(61_000);
  await until(warningShown, "the idle warning");
  const dialog = page.getByRole("alertdialog");
  assert.match(await dialog.innerText(), /Sind Sie noch da\?[\s\S]*30 Sekunden/);
  await page.clock.runFor(5_000);
  assert.match(await page.locator("#idle-text").innerText(), /25 Sekunden/, "the countdown runs");
  const spoken = await page.evaluate(() => window.__spoken.map((s) => s.text));
  assert.ok(spoken.some((t) => t.includes("Sind Sie noch da?")), "the warning is spoken");
  await checked(page, "kiosk-idle-warning", { modes: false });
  const extended = page.waitForRequest((r) => r.url().endsWith("/kiosk/still-here") && r.method() === "POST");
  await page.keyboard.press("Enter");
  await extended;
  await until(async () => !(await warningShown()), "the warning closed");
  assert.equal(await page.inputValue("#entry"), "0151", "what was typed is kept after the extension");
  await page.clock.fastForward(61_000);
  await until(warningShown, "the idle warning again");
  await page.clock.runFor(31_000);
  await until(async () => (await screenOf(page)) === "start", "the start screen");
  assert.equal(await page.locator("#entry").count(), 0, "everything typed is cleared");
  await context.close();
});

test("a whole pickup by the tactile keys alone with speech on: every screen spoken, no PIN digit", async () => {
  const who = demo.waiting.find((w) => w.oldDocument && w.kind === "id_card" && w.phone !== "0171 5550101");
  assert.ok(who, "the demo has a document waiting for an old ID card");
  const { context, page, meter } = await panel();
  const press = meter.press;

  await page.keyboard.press("F1");
  assert.ok((await page.evaluate(() => window.__spoken.map((s) => s.text))).some((t) => t.includes("Sprachausgabe ist an")));
  await press("Enter");
  assert.equal(await next(page, "start"), "phone");
  for (const d of who.phone.replace(/\D/g, "")) await press(d);
  await press("Enter");
  assert.equal(await next(page, "phone"), "pin");
  for (const d of who.pin) await press(d);
  await press("Enter");
  assert.equal(await next(page, "pin"), "old_document");
  await insertOldDocument(who.oldDocument);
  assert.equal(await next(page, "old_document"), "collect");
  await closeOpenDoor();
  assert.equal(await next(page, "collect"), "done");

  const spoken = await page.evaluate(() => window.__spoken);
  for (const [screen, title] of [["phone", "Ihre Handynummer"], ["pin", "PIN aus der SMS"], ["old_document", "Alten Ausweis"], ["collect", "öffnet sich"], ["done", "Vielen Dank"]]) {
    assert.ok(spoken.some((s) => s.text.includes(title)), `the ${screen} screen was spoken`);
  }
  assert.ok(spoken.every((s) => s.lang === "de-DE"), "in the screen's language");
  const onPin = spoken.filter((s) => s.screen === "pin");
  assert.ok(onPin.every((s) => !/\d/.test(s.text.replace("SMS", ""))), `no PIN digit spoken: ${JSON.stringify(onPin)}`);
  assert.ok(spoken.every((s) => !s.text.includes(who.pin)), "the PIN never");
  assert.equal(await page.evaluate(() => window.__tones), who.pin.length, "a tone per PIN digit instead");
  assert.ok(spoken.filter((s) => s.screen === "phone" && /^\d$/.test(s.text)).length >= 11, "typed digits are echoed");

  figures.old_document = meter.figures();
  assert.equal(figures.old_document.presses, 20, "the digits and one confirmation per step");
  await context.close();
});

test("a birth-date pickup by keys: 29 presses", async () => {
  const phone = "0170 7000002";
  await waiting({ reference: "K-KEYS-2", phone, birth: "1974-08-12" });
  const pin = await pinFor(phone);
  const { context, page, meter } = await panel();
  const press = meter.press;
  await press("Enter");
  await next(page, "start");
  for (const d of phone.replace(/\D/g, "")) await press(d);
  await press("Enter");
  await next(page, "phone");
  for (const d of pin) await press(d);
  await press("Enter");
  assert.equal(await next(page, "pin"), "birth_date");
  for (const d of "12081974") await press(d);
  await press("Enter");
  assert.equal(await next(page, "birth_date"), "collect");
  await closeOpenDoor();
  assert.equal(await next(page, "collect"), "done");
  figures.birth_date = meter.figures();
  assert.equal(figures.birth_date.presses, 29, "the digits and one confirmation per step");
  await context.close();
});

test("where the site asks for it, the eID PIN letter is confirmed by Enter before the old ID card", async () => {
  await changeSite({ pin_letter_kinds: ["id_card"] });

  const phone = "0170 7000003";
  await waiting({ reference: "K-LETTER-1", phone, birth: "1970-01-01", old: "L01X00T91" });
  const pin = await pinFor(phone);
  const { context, page } = await panel();
  await page.keyboard.press("Enter");
  await next(page, "start");
  await tap(page, phone);
  await page.keyboard.press("Enter");
  await next(page, "phone");
  await tap(page, pin);
  await page.keyboard.press("Enter");
  assert.equal(await next(page, "pin"), "pin_letter");
  assert.match(await page.locator("h1").innerText(), /PIN-Brief/);
  await insertOldDocument("L01X00T91");
  await until(async () => !(await api(demo.base, "GET", "/api/v1/sim/boxes/dlz-1")).body.slot_occupied, "the card given back");
  assert.equal(await screenOf(page), "pin_letter", "no old document is taken before the letter is confirmed");
  await page.keyboard.press("Enter");
  assert.equal(await next(page, "pin_letter"), "old_document");
  await insertOldDocument("L01X00T91");
  assert.equal(await next(page, "old_document"), "collect");
  await closeOpenDoor();
  assert.equal(await next(page, "collect"), "done");
  await context.close();
});

const LANGUAGES = [
  { number: 1, code: "de", dir: "ltr" }, { number: 2, code: "de-x-ls", html: "de", dir: "ltr" },
  { number: 3, code: "en", dir: "ltr" }, { number: 4, code: "tr", dir: "ltr" }, { number: 5, code: "ar", dir: "rtl" },
  { number: 6, code: "uk", dir: "ltr" }, { number: 7, code: "pl", dir: "ltr" },
];

for (const lang of LANGUAGES) {
  test(`every screen in ${lang.code}, in both display modes, has no axe violation`, async () => {
    const phone = `0172 30000${lang.number}0`;
    await waiting({ reference: `K-LANG-${lang.code}-1`, phone, birth: "1980-01-01", old: `L01X00T${lang.number}0` });
    await waiting({ reference: `K-LANG-${lang.code}-2`, phone, birth: "2015-02-03", kind: "child_passport" });
    const pin = await pinFor(phone);
    const { context, page } = await panel({ clock: true });
    await page.keyboard.press(String(lang.number));
    assert.equal(await next(page, "start"), "phone");
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang.html || lang.code);
    assert.equal(await page.evaluate(() => document.documentElement.dir), lang.dir);
    const name = (s) => `kiosk-${lang.code}-${s}`;
    await tap(page, phone);
    await checked(page, name("phone"));
    await page.clock.fastForward(61_000);
    await until(() => page.locator("#idle").isVisible(), "the idle warning");
    await checked(page, name("idle-warning"));
    await page.keyboard.press("Enter");
    await until(async () => !(await page.locator("#idle").isVisible()), "the warning closed");
    await page.keyboard.press("F3");
    assert.equal(await next(page, "phone"), "help");
    await checked(page, name("help"));
    await page.keyboard.press("Escape");
    assert.equal(await next(page, "help"), "phone");
    await tap(page, phone);
    await page.keyboard.press("Enter");
    await next(page, "phone");
    await tap(page, pin === "000000" ? "111111" : "000000");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").waitFor();
    await checked(page, name("pin-wrong"));
    await page.fill("#entry", "");
    await page.evaluate(() => { document.querySelector("#entry").dataset.raw = ""; });
    await tap(page, pin);
    await page.keyboard.press("Enter");
    assert.equal(await next(page, "pin"), "pin_letter", "the site asks for the ID card's PIN letter");
    assert.match(await page.locator("main").innerText(), /1\D+2/, "document 1 of 2");
    await checked(page, name("pin-letter"));
    await page.keyboard.press("Enter");
    assert.equal(await next(page, "pin_letter"), "old_document");
    await checked(page, name("old-document"));
    await insertOldDocument(`L01X00T${lang.number}0`);
    assert.equal(await next(page, "old_document"), "collect");
    await checked(page, name("collect"));
    await closeOpenDoor();
    assert.equal(await next(page, "collect"), "birth_date");
    await checked(page, name("birth-date"));
    await tap(page, "03022015");
    await page.keyboard.press("Enter");
    assert.equal(await next(page, "birth_date"), "collect");
    await closeOpenDoor();
    assert.equal(await next(page, "collect"), "done");
    await checked(page, name("done"));

    // A session left idle past the server's timeout ends; its screen says so.
    await page.keyboard.press("Enter");
    assert.equal(await next(page, "done"), "start");
    await page.keyboard.press(String(lang.number));
    assert.equal(await next(page, "start"), "phone");
    const moved = await api(demo.base, "POST", "/api/v1/sim/clock", null, { advance_seconds: 121 });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await page.goto(`${demo.base}/kiosk`);
    assert.equal(await screenOf(page), "ended");
    await checked(page, name("ended"));
    await context.close();
  });
}

test("an unpaired browser, the pairing form, and a closed box in every language: each says so, without axe violations", async () => {
  const stranger = await browser.newContext();
  const page = await stranger.newPage();
  const answer = await page.goto(`${demo.base}/kiosk`);
  assert.equal(answer.status(), 401);
  assert.equal(await screenOf(page), "unpaired");
  await checked(page, "kiosk-unpaired");
  await page.goto(`${demo.base}/kiosk/pair`);
  await checked(page, "kiosk-pair");
  await page.getByLabel("Kiosk-Token").fill("not a token");
  await page.getByRole("button", { name: "Koppeln" }).click();
  await page.getByRole("alert").waitFor();
  assert.equal(await screenOf(page), "pair", "a wrong token pairs nothing");
  await stranger.close();

  await changeSite({ open_24_7: false, opening_hours: "off" });
  for (const lang of LANGUAGES) {
    const { context, page: panelPage } = await panel();
    await panelPage.keyboard.press(String(lang.number));
    assert.equal(await next(panelPage, "start"), "refused");
    assert.equal(await panelPage.evaluate(() => document.documentElement.dir), lang.dir);
    await checked(panelPage, `kiosk-${lang.code}-closed`);
    await context.close();
  }
});
