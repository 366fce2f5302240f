// The staff app in Debian's Chromium against the real demo server: sign in, register at the counter,
// load a delivery by scanning, watch the box, a pickup at the kiosk, refusals by role and forgery,
// and axe-core on every page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, launch, api, until, accessibility, screenshot, germanId } from "./harness.js";

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
  // The demo starts with its own documents waiting; three more are ready now.
  const ready = String(demo.waiting.length + 3);
  await until(async () => (await page.locator('.counts strong[data-look="ready"]').innerText()) === ready || (await page.reload(), false),
    "three documents ready on the box view");
  for (const c of loaded) {
    assert.equal(await page.locator(`.cell[data-compartment="${c.compartment}"]`).getAttribute("data-look"), "ready");
  }
  await checked(page, "staff-box");
  await page.locator(`.cell[data-compartment="${loaded[0].compartment}"]`).click();
  await page.locator("#compartment-look[data-look=\"ready\"]").waitFor();
  await checked(page, "staff-compartment");
  await page.goto(`${demo.staff}/boxes/dlz-1`);

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
  const auditPage = await page.goto(`${demo.staff}/audit`);
  assert.equal(auditPage.status(), 403, "a supervisor's page, refused to a clerk");

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

/** Registers a pickup through the API (as the registry does), loads it and closes its door. */
async function readyPickup(reference, phone, birth, old) {
  const registered = await api(demo.base, "POST", "/api/v1/pickups", demo.integration, {
    reference, site: "dus-dlz", document_kind: "id_card", document_number: null,
    phone, birth_date: birth, old_document_number: old, language: "de",
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const id = registered.body.id;
  const deposit = await api(demo.base, "POST", "/api/v1/boxes/dlz-1/deposits", demo.integration, { pickup: id });
  assert.equal(deposit.status, 201, JSON.stringify(deposit.body));
  await api(demo.base, "POST", `/api/v1/sim/boxes/dlz-1/compartments/${deposit.body.compartment}/close`, null, {});
  await until(async () => (await api(demo.base, "GET", `/api/v1/pickups/${id}`, demo.integration)).body.status === "ready", "ready");
  return { id, compartment: deposit.body.compartment };
}

async function pins(phone, count) {
  const to = encodeURIComponent("+49" + phone.replace(/\D/g, "").slice(1));
  const inbox = await until(async () => {
    const r = await api(demo.base, "GET", `/api/v1/sim/sms?to=${to}`);
    return r.body.length >= count ? r.body : null;
  }, `${count} SMS to ${phone}`);
  return inbox.map((m) => m.text.match(/PIN (\d+)/)?.[1]).filter(Boolean);
}

/** A German ID card's MRZ, as the slot's reader sends it. */

test("a supervisor sends a new PIN after a lost SMS, and two empty the bin with a wrong count", async () => {
  const lost = await readyPickup("2026-300001", "0151 23456731", "1975-03-03", null);
  const [oldPin] = await pins("0151 23456731", 1);
  const context = await browser.newContext();
  const page = await signIn(context, demo.supervisor);
  await page.goto(`${demo.staff}/boxes/dlz-1/uncollected`);
  await page.getByLabel("Vorgangsnummer").fill("2026-300001");
  await page.getByRole("button", { name: "Suchen" }).click();
  const row = page.locator(`#found tr[data-reference="2026-300001"]`);
  await row.getByRole("form", { name: "PIN neu senden" }).getByLabel("Begründung").fill("Bürgerin rief an: SMS gelöscht");
  await row.getByRole("button", { name: "PIN neu senden" }).click();
  await page.locator("#work-done").waitFor();
  await checked(page, "staff-work");
  const [, newPin] = await pins("0151 23456731", 2);
  assert.notEqual(newPin, oldPin);
  const session = (await api(demo.base, "POST", "/api/v1/kiosk/sessions", demo.kiosk)).body.session;
  await api(demo.base, "POST", `/api/v1/kiosk/sessions/${session}/phone`, demo.kiosk, { phone: "0151 23456731" });
  const refused = await api(demo.base, "POST", `/api/v1/kiosk/sessions/${session}/pin`, demo.kiosk, { pin: oldPin });
  assert.equal(refused.status, 422, "the old PIN is refused at the kiosk");
  assert.equal(refused.body.error.code, "phone_or_pin_wrong");
  await api(demo.base, "POST", `/api/v1/kiosk/sessions/${session}/cancel`, demo.kiosk);

  // A citizen hands in the old ID card at the slot; the bin has it.
  const withOld = await readyPickup("2026-300002", "0151 23456732", "1974-08-12", "T22000129");
  const [pin] = await pins("0151 23456732", 1);
  const s2 = (await api(demo.base, "POST", "/api/v1/kiosk/sessions", demo.kiosk)).body.session;
  await api(demo.base, "POST", `/api/v1/kiosk/sessions/${s2}/phone`, demo.kiosk, { phone: "0151 23456732" });
  assert.equal((await api(demo.base, "POST", `/api/v1/kiosk/sessions/${s2}/pin`, demo.kiosk, { pin })).status, 200);
  const inserted = await api(demo.base, "POST", "/api/v1/sim/boxes/dlz-1/reader", null,
    { mrz: germanId("T22000129", "740812", "310101", "MUSTERMANN", "ERIKA") });
  assert.equal(inserted.status, 202, JSON.stringify(inserted.body));
  await until(async () => (await api(demo.base, "GET", `/api/v1/kiosk/sessions/${s2}`, demo.kiosk)).body.step === "collect", "the compartment opens");
  await api(demo.base, "POST", `/api/v1/sim/boxes/dlz-1/compartments/${withOld.compartment}/close`, null, {});

  const clerkContext = await browser.newContext();
  const clerk = await signIn(clerkContext, demo.clerk);
  await clerk.goto(`${demo.staff}/boxes/dlz-1/bin`);
  await clerk.locator("#bin-documents", { hasText: "T22000129" }).waitFor();
  await checked(clerk, "staff-bin");
  await clerk.getByLabel("Gezählte Dokumente").fill("2");
  await clerk.getByLabel("Zweite Person: Anmeldename").fill(demo.supervisor.name);
  await clerk.getByLabel("Zweite Person: Passwort").fill(demo.supervisor.password);
  await clerk.getByRole("button", { name: "Leerung vermerken" }).click();
  await clerk.locator("#record-mismatch").waitFor();
  assert.match(await clerk.locator("#record-documents").innerText(), /T22000129/);
  assert.equal(await clerk.locator("#countersigned-by").innerText(), demo.supervisor.name);
  await checked(clerk, "staff-destruction-record");
  const pdf = await clerk.request.get(clerk.url() + "/pdf");
  assert.equal(pdf.headers()["content-type"], "application/pdf");
  assert.ok((await pdf.body()).subarray(0, 5).equals(Buffer.from("%PDF-")));
  await page.goto(`${demo.staff}/audit?about=dlz-1`);
  await page.locator("#audit", { hasText: "bin_emptied_count_mismatch" }).waitFor();
  await checked(page, "staff-audit");
  await context.close();
  await clerkContext.close();
});

test("an admin opens a second site; its staff see nothing of the first site's box", async () => {
  const context = await browser.newContext();
  const page = await signIn(context, demo.admin);
  const made = await page.evaluate(async () => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch("/api/v1/admin/sites/dus-bilk", {
      method: "PUT", headers: { "content-type": "application/json", "x-csrf-token": token },
      body: JSON.stringify({ name: "Bürgerbüro Bilk", address: "Bachstraße 145", opening_hours: "Mo-Fr 08:00-12:00" }),
    });
    return r.status;
  });
  assert.equal(made, 200, "an admin's session manages sites through the API too");
  await page.goto(`${demo.staff}/admin/users`);
  await page.locator("#new-name").fill("bilk.clerk");
  await page.locator("#new-sites").fill("dus-bilk");
  await page.locator("#new-password").fill("Bachstraße hundertfünfundvierzig");
  await page.getByRole("button", { name: "Anlegen" }).click();
  await page.locator("#admin-done").waitFor();
  await checked(page, "staff-admin-users");
  await page.goto(`${demo.staff}/admin/tokens`);
  await checked(page, "staff-admin-tokens");
  await page.goto(`${demo.staff}/admin/sites`);
  await checked(page, "staff-admin-sites");

  const other = await browser.newContext();
  const bilk = await signIn(other, { name: "bilk.clerk", password: "Bachstraße hundertfünfundvierzig" });
  assert.equal(await bilk.locator('a[href="/staff/boxes/dlz-1"]').count(), 0, "the other site's box is not listed");
  const answer = await bilk.goto(`${demo.staff}/boxes/dlz-1`);
  assert.equal(answer.status(), 404);
  await context.close();
  await other.close();
});

test("a pickup nobody collected expires and is withdrawn from the lists", async () => {
  const waiting = await readyPickup("2026-400001", "0151 23456741", "1966-06-06", null);
  const moved = await api(demo.base, "POST", "/api/v1/sim/clock", null, { advance_seconds: 30 * 24 * 3600 });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  await until(async () => (await api(demo.base, "GET", `/api/v1/pickups/${waiting.id}`, demo.integration)).body.status === "expired", "expired");
  const context = await browser.newContext();
  const page = await signIn(context, demo.clerk);
  await page.goto(`${demo.staff}/boxes/dlz-1/uncollected`);
  const row = page.locator(`#to-withdraw tr[data-reference="2026-400001"]`);
  await row.getByRole("button", { name: "Entnehmen" }).click();
  await page.locator("#work-done").waitFor();
  await api(demo.base, "POST", `/api/v1/sim/boxes/dlz-1/compartments/${waiting.compartment}/close`, null, {});
  await until(async () => (await api(demo.base, "GET", `/api/v1/pickups/${waiting.id}`, demo.integration)).body.status === "withdrawn", "withdrawn");
  await page.goto(`${demo.staff}/boxes/dlz-1`);
  await page.locator(`.cell[data-compartment="${waiting.compartment}"][data-look="free"]`).waitFor();
  await context.close();
});
