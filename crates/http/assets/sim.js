// The demo's simulator page: draws the box as the simulator reports it, once a second, and acts
// through the simulator's API (close a door, insert a document, set a fault).
'use strict';
(() => {
  const box = document.body.dataset.box;
  const live = document.getElementById('live');
  const say = (words) => { live.textContent = words; };

  async function call(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { json = null; }
    if (!response.ok) throw new Error((json && json.error && json.error.message) || response.statusText);
    return json;
  }

  function render(state, occupied, inbox) {
    const open = new Set(state.open_doors);
    const faulty = new Set(state.faults.map((f) => f.compartment));
    const full = new Set(occupied);
    document.querySelectorAll('.cell').forEach((cell) => {
      const n = Number(cell.dataset.number);
      cell.classList.toggle('open', open.has(n));
      cell.classList.toggle('fault', faulty.has(n));
      cell.classList.toggle('occupied', full.has(n));
    });
    const doors = document.getElementById('open-doors');
    const labels = new Map([...document.querySelectorAll('.cell')].map((c) => [Number(c.dataset.number), c.dataset.label]));
    const shown = [...doors.querySelectorAll('button')].map((b) => b.dataset.number).join(',');
    if (shown !== state.open_doors.join(',') || !doors.dataset.drawn) {
      doors.dataset.drawn = '1';
      doors.replaceChildren(...(state.open_doors.length ? state.open_doors : [null]).map((n) => {
        const li = document.createElement('li');
        if (n === null) {
          li.textContent = doors.dataset.none;
          return li;
        }
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'close-door';
        button.dataset.number = String(n);
        button.dataset.label = labels.get(n) || String(n);
        button.textContent = `${doors.dataset.close} ${button.dataset.label}`;
        li.append(button);
        return li;
      }));
    }
    const slot = document.getElementById('slot-state');
    slot.textContent = state.slot_occupied ? slot.dataset.full : slot.dataset.empty;
    document.getElementById('bin-count').textContent = String(state.documents_in_bin);
    const faults = document.getElementById('faults');
    faults.replaceChildren(...(state.faults.length ? state.faults : [null]).map((f) => {
      const li = document.createElement('li');
      li.textContent = f ? `${f.compartment}: lock ${f.lock}, sensor ${f.door_sensor}, board ${f.board}` : faults.dataset.none;
      return li;
    }));
    const sms = document.getElementById('sms');
    sms.replaceChildren(...inbox.slice(-12).reverse().map((m) => {
      const li = document.createElement('li');
      const to = document.createElement('strong');
      to.textContent = m.to;
      li.append(to, document.createElement('br'), document.createTextNode(m.text));
      return li;
    }));
  }

  async function refresh() {
    try {
      const [state, occupied, inbox] = await Promise.all([
        call('GET', `/api/v1/sim/boxes/${box}`),
        call('GET', `/sim/boxes/${box}/occupied`),
        call('GET', '/api/v1/sim/sms').catch(() => []),
      ]);
      render(state, occupied, inbox);
    } catch (_) {
      // The server is restarting or gone; the next round tries again.
    }
  }

  document.addEventListener('click', async (e) => {
    const cell = e.target.closest('.cell.open, .close-door');
    if (cell) {
      try {
        await call('POST', `/api/v1/sim/boxes/${box}/compartments/${cell.dataset.number}/close`, {});
        say(`${cell.dataset.label}: ${live.dataset.closed}`);
      } catch (err) {
        say(`${live.dataset.refused} ${err.message}`);
      }
      refresh();
      return;
    }
    const card = e.target.closest('.card');
    if (card) {
      try {
        await call('POST', `/api/v1/sim/boxes/${box}/reader`, { mrz: card.dataset.zone });
        say(live.dataset.inserted);
      } catch (err) {
        say(`${live.dataset.refused} ${err.message}`);
      }
      refresh();
    }
  });

  document.querySelector('.fault-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.target;
    const n = form.compartment.value;
    try {
      await call('POST', `/api/v1/sim/boxes/${box}/compartments/${encodeURIComponent(n)}/fault`, JSON.parse(form.fault.value));
      say(live.dataset.faultSet);
    } catch (err) {
      say(`${live.dataset.refused} ${err.message}`);
    }
    refresh();
  });

  refresh();
  setInterval(refresh, 1000);
})();
