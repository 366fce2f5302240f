// The staff app in Debian's Chromium against the real demo server: sign in, register at the counter,
// load a delivery by scanning, watch the box, a pickup at the kiosk, refusals by role and forgery,
// and axe-core on every page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, launch, api, until, accessibility, screenshot } from "./harness.js";

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function signIn(context, who) {
  const page = await context.newPage();
  await page.goto(`${demo.staff}/sign-in`);
  await page.getByLabel("Anmeldename").fill(who.name);
  await page.getByLabel("Passwort").fill(who.password);
  await page.getByRole("button", { name: "Anmelden" }).click();
  await page.waitForURL(`${demo.staff}`);
  return page;
}

async function checked(page, name) {
  await screenshot(page, name);
  assert.deepEqual(await accessibility(page), [], `axe on ${name}`);
}

const citizens = [
  { reference: "2026-100001", phone: "0151 23456711", birth: "12.08.1974", number: "L01X00T41" },
  { reference: "2026-100002", phone: "0151 23456712", birth: "29.02.1988", number: "L01X00T42" },
  { reference: "2026-100003", phone: "0151 23456713", birth: "01.01.1960", number: "L01X00T43" },
];

test("a clerk's day: sign in, register, load three by scanning, watch a pickup empty its compartment", async () => {
  const context = await browser.newContext();
  const signInPage = await context.newPage();
  await signInPage.goto(`${demo.staff}/sign-in`);
  await checked(signInPage, "staff-sign-in");
  await signInPage.getByLabel("Anmeldename").fill(demo.clerk.name);
  await signInPage.getByLabel("Passwort").fill("not the password at all");
  await signInPage.getByRole("button", { name: "Anmelden" }).click();
  await assert.doesNotReject(signInPage.getByRole("alert").waitFor());
  await checked(signInPage, "staff-sign-in-refused");
  await signInPage.close();

  const page = await signIn(context, demo.clerk);
  await checked(page, "staff-boxes");

  await page.getByRole("link", { name: "Abholung anmelden" }).click();
  await checked(page, "staff-register");
  await page.getByLabel("Vorgangsnummer").fill("2026-100000");
  await page.getByLabel("Mobilnummer").fill("0151 23");
  await page.getByLabel("Geburtsdatum").fill("31.02.1980");
  await page.getByRole("button", { name: "Anmelden", exact: true }).last().click();
  await page.locator("#phone-error").waitFor();
  assert.equal(await page.locator("#birth_date-error").count(), 1);
  await checked(page, "staff-register-refused");
  for (const c of citizens) {
    await page.getByLabel("Vorgangsnummer").fill(c.reference);
    await page.getByLabel("Mobilnummer").fill(c.phone);
    await page.getByLabel("Geburtsdatum").fill(c.birth);
    await page.getByLabel("Neue Dokumentnummer").fill(c.number);
    await page.getByRole("button", { name: "Anmelden", exact: true }).last().click();
    await assert.doesNotReject(page.locator("#register-done").waitFor());
    assert.match(await page.locator("#register-done").innerText(), new RegExp(c.reference));
  }
  await checked(page, "staff-register-done");

  await page.goto(`${demo.staff}/boxes/dlz-1/load`);
  await checked(page, "staff-load");
  const loaded = [];
  for (const c of citizens) {
    // A barcode scanner types the number and presses Enter.
    await page.locator("#number").pressSequentially(c.number.toLowerCase(), { delay: 5 });
    await page.keyboard.press("Enter");
    await page.locator("#load-opened").waitFor();
    const compartment = await page.locator(".cell.highlight").getAttribute("data-compartment");
    assert.ok(compartment, "the opened compartment is marked on the map");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "number", "focus is back in the scan field");
    const closed = await api(demo.base, "POST", `/api/v1/sim/boxes/dlz-1/compartments/${compartment}/close`, null, {});
    assert.equal(closed.status, 200);
    loaded.push({ ...c, compartment });
  }
  await checked(page, "staff-load-done");
  await page.locator("#number").fill(citizens[0].number);
  await page.keyboard.press("Enter");
  await page.locator("#load-error").waitFor();
  await checked(page, "staff-load-refused");

  await page.goto(`${demo.staff}/boxes/dlz-1`);
  await until(async () => (await page.locator('.counts strong[data-look="ready"]').innerText()) === "3" || (await page.reload(), false),
    "three documents ready on the box view");
  for (const c of loaded) {
    assert.equal(await page.locator(`.cell[data-compartment="${c.compartment}"]`).getAttribute("data-look"), "ready");
  }
  await checked(page, "staff-box");

  // The second citizen collects at the kiosk; the view, left open, turns the compartment free.
  const second = loaded[1];
  const digits = second.phone.replace(/\D/g, "").slice(1);
  const inbox = await until(async () => {
    const r = await api(demo.base, "GET", `/api/v1/sim/sms?to=${encodeURIComponent("+49" + digits)}`);
    return r.body.length ? r.body : null;
  }, "the ready SMS");
  const pin = inbox[inbox.length - 1].text.match(/PIN (\d+)/)[1];
  const session = (await api(demo.base, "POST", "/api/v1/kiosk/sessions", demo.kiosk)).body.session;
  const step = (what, body) => api(demo.base, "POST", `/api/v1/kiosk/sessions/${session}/${what}`, demo.kiosk, body);
  assert.equal((await step("phone", { phone: second.phone })).status, 200);
  assert.equal((await step("pin", { pin })).status, 200);
  assert.equal((await step("birth-date", { birth_date: "1988-02-29" })).status, 200);
  await api(demo.base, "POST", `/api/v1/sim/boxes/dlz-1/compartments/${second.compartment}/close`, null, {});
  await page.locator(`.cell[data-compartment="${second.compartment}"][data-look="free"]`).waitFor({ timeout: 15000 });
  await context.close();
});

test("refusals: a clerk may not lift a lockout, and no form or call counts without the session's token", async () => {
  const context = await browser.newContext();
  const page = await signIn(context, demo.clerk);
  const registered = await api(demo.base, "POST", "/api/v1/pickups", demo.integration, {
    reference: "2026-200001", site: "dus-dlz", document_kind: "passport", document_number: null,
    phone: "0151 23456721", birth_date: "1970-05-05", old_document_number: null, language: "de",
  });
  assert.equal(registered.status, 201);
  const id = registered.body.id;
  const answer = await page.evaluate(async (id) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch(`/api/v1/pickups/${id}/unlock`, {
      method: "POST", headers: { "content-type": "application/json", "x-csrf-token": token },
      body: JSON.stringify({ reason: "seen with ID at the counter" }),
    });
    return r.status;
  }, id);
  assert.equal(answer, 403, "a supervisor's action, refused to a clerk through the API");

  const forged = await page.evaluate(async () => {
    const r = await fetch("/staff/sign-out", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "csrf=" });
    return { status: r.status, text: await r.text() };
  });
  assert.equal(forged.status, 403, "a form without the token");
  await page.setContent(forged.text);
  await page.goto(`${demo.staff}/boxes/no-such-box`);
  await checked(page, "staff-error");
  await page.goto(demo.staff);
  assert.equal(new URL(page.url()).pathname, "/staff", "still signed in: the forged sign-out did nothing");

  await page.getByRole("button", { name: "English" }).click();
  await page.getByRole("heading", { name: "Pickup boxes" }).waitFor();
  await checked(page, "staff-boxes-english");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${demo.staff}/sign-in`);
  await context.close();
});
