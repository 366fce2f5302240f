// The kiosk panel: on-screen keypad, tactile keys, speech, idle warning, and the swap from one
// screen to the next. The server decides every step; this script only types, speaks and asks.
'use strict';
(() => {
  const IDLE_MS = 60000;
  const WARN_SECONDS = 30;
  const BACK_TO_START_MS = 20000;
  // A request refused on its way (too many at once, too slow): the screen says so, then goes on.
  const HITCH_MS = 5000;
  const VOICES = { de: 'de-DE', 'de-x-ls': 'de-DE', en: 'en-GB', tr: 'tr-TR', ar: 'ar', uk: 'uk-UA', pl: 'pl-PL' };
  const state = {
    speech: sessionStorage.getItem('abholbox-speech') === 'on',
    modes: JSON.parse(sessionStorage.getItem('abholbox-modes') || '[]'),
    generation: 0,
    timers: [],
  };

  const $ = (sel) => document.querySelector(sel);
  const screen = () => document.body.dataset.screen;
  const text = (name) => {
    const el = $('#texts') && $('#texts').content.querySelector(`[data-text="${name}"]`);
    return el ? el.textContent : '';
  };
  const screenWords = () =>
    [...document.querySelectorAll('main [data-say]')].map((e) => e.textContent.trim()).filter(Boolean).join(' ');

  // Speech: the browser's synthesis (speech-dispatcher and espeak-ng on the kiosk PC).
  function speak(words) {
    if (!state.speech || !words || !('speechSynthesis' in window)) return;
    window.speechSynthesis.cancel();
    const u = new SpeechSynthesisUtterance(words);
    u.lang = VOICES[document.body.dataset.lang] || 'de-DE';
    window.speechSynthesis.speak(u);
  }
  function hush() {
    if ('speechSynthesis' in window) window.speechSynthesis.cancel();
  }
  function setSpeech(on) {
    state.speech = on;
    sessionStorage.setItem('abholbox-speech', on ? 'on' : 'off');
  }
  let audio;
  function tone() {
    if (!state.speech) return;
    try {
      audio = audio || new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.1;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.08);
    } catch (_) {
      // No sound device: the count in the live region still tells.
    }
  }
  function live(words) {
    const region = $('#live');
    if (region) region.textContent = words;
  }

  // Display modes, for this citizen only.
  function applyModes() {
    document.documentElement.classList.toggle('contrast', state.modes.includes('contrast'));
    document.documentElement.classList.toggle('large', state.modes.includes('large'));
    document.querySelectorAll('.mode').forEach((b) => b.setAttribute('aria-pressed', String(state.modes.includes(b.dataset.mode))));
  }
  function toggleMode(mode) {
    state.modes = state.modes.includes(mode) ? state.modes.filter((m) => m !== mode) : [...state.modes, mode];
    sessionStorage.setItem('abholbox-modes', JSON.stringify(state.modes));
    applyModes();
  }
  function forget() {
    setSpeech(false);
    state.modes = [];
    sessionStorage.removeItem('abholbox-modes');
  }

  // Screens swap in place: one request per step, speech and modes carry on.
  async function go(url, options) {
    const generation = ++state.generation;
    clearTimers();
    let body;
    try {
      const response = await fetch(url, Object.assign({ credentials: 'same-origin' }, options || {}));
      body = await response.text();
    } catch (_) {
      if (generation === state.generation) state.timers.push(setTimeout(() => go('/kiosk'), 2000));
      return;
    }
    if (generation !== state.generation) return;
    const next = new DOMParser().parseFromString(body, 'text/html');
    const leaving = screen();
    document.documentElement.lang = next.documentElement.lang;
    document.documentElement.dir = next.documentElement.dir;
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    // Back at the start, the next citizen begins without the last one's speech and display.
    if (screen() === 'start' && leaving !== 'start') forget();
    onScreen();
  }
  function post(url, form, submitter) {
    const data = form ? new URLSearchParams(new FormData(form, submitter)) : new URLSearchParams();
    return go(url, { method: 'POST', body: data });
  }

  function clearTimers() {
    state.timers.forEach((t) => {
      clearTimeout(t);
      clearInterval(t);
    });
    state.timers = [];
  }

  function onScreen() {
    applyModes();
    const title = $('#title');
    if (title) title.focus({ preventScroll: true });
    live(screenWords());
    speak(screenWords());
    const generation = state.generation;
    if (document.body.dataset.wait) waitForBox(generation);
    armIdle();
    if (['done', 'ended', 'refused'].includes(screen())) {
      state.timers.push(setTimeout(() => post('/kiosk/restart'), BACK_TO_START_MS));
    }
    if (screen() === 'hitch') {
      state.timers.push(setTimeout(() => go('/kiosk'), HITCH_MS));
    }
    if (screen() === 'help' && !document.body.dataset.session) {
      state.timers.push(setTimeout(() => go('/kiosk'), IDLE_MS));
    }
    if (screen() === 'start') {
      // Someone switched speech on here and walked away.
      state.timers.push(setTimeout(() => { forget(); applyModes(); }, IDLE_MS));
    }
  }

  // The reader and the door act, not the citizen: ask the server to answer when they did.
  async function waitForBox(generation) {
    while (generation === state.generation) {
      let answer;
      try {
        const response = await fetch(`/kiosk/wait?v=${encodeURIComponent(document.body.dataset.version)}`, {
          credentials: 'same-origin',
        });
        answer = response.ok ? await response.json() : { version: -1 };
      } catch (_) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (generation !== state.generation) return;
      const shownReminder = Boolean(document.body.dataset.reminder);
      if (String(answer.version) !== document.body.dataset.version || Boolean(answer.reminder) !== shownReminder) {
        go('/kiosk');
        return;
      }
    }
  }

  // Idle warning: after a minute without input, a countdown; one key or touch extends.
  let idleTimer = null;
  let countdown = null;
  const dialog = () => $('#idle');
  const warningShown = () => dialog() && !dialog().hidden;
  function armIdle() {
    clearTimeout(idleTimer);
    if (document.body.dataset.idle && !warningShown()) idleTimer = setTimeout(warn, IDLE_MS);
  }
  function warn() {
    const box = dialog();
    if (!box) return;
    let left = WARN_SECONDS;
    const line = $('#idle-text');
    const show = () => {
      line.textContent = line.dataset.template.replace('{s}', String(left));
    };
    show();
    box.hidden = false;
    box.querySelector('.extend').focus();
    const words = `${$('#idle-title').textContent} ${line.textContent}`;
    live(words);
    speak(words);
    const generation = state.generation;
    countdown = setInterval(() => {
      left -= 1;
      if (generation !== state.generation) {
        clearInterval(countdown);
        return;
      }
      if (left <= 0) {
        clearInterval(countdown);
        post('/kiosk/restart');
        return;
      }
      show();
      if (left === 10) speak(line.textContent);
    }, 1000);
  }
  function extend() {
    clearInterval(countdown);
    dialog().hidden = true;
    fetch('/kiosk/still-here', { method: 'POST', credentials: 'same-origin' })
      .then((r) => { if (!r.ok) go('/kiosk'); })
      .catch(() => {});
    const title = $('#title');
    if (title) title.focus({ preventScroll: true });
    armIdle();
  }

  // Typing: what the field holds is digits (and a leading + for a phone number), shown grouped
  // as people write them.
  function entry() {
    return $('#entry');
  }
  function raw(input) {
    return input.dataset.raw || '';
  }
  function shown(kind, digits) {
    if (kind === 'phone') {
      if (digits.startsWith('+')) {
        const rest = digits.slice(1);
        return ['+' + rest.slice(0, 2), rest.slice(2, 5), rest.slice(5)].filter(Boolean).join(' ');
      }
      return [digits.slice(0, 4), digits.slice(4)].filter(Boolean).join(' ');
    }
    if (kind === 'date') {
      return [digits.slice(0, 2), digits.slice(2, 4), digits.slice(4, 8)].filter(Boolean).join('.');
    }
    return digits;
  }
  function setEntry(input, digits) {
    const kind = input.form.dataset.kind;
    input.dataset.raw = digits;
    input.value = shown(kind, digits);
  }
  function type(key) {
    const input = entry();
    if (!input) return;
    const kind = input.form.dataset.kind;
    const digits = raw(input);
    if (key === '+' && (kind !== 'phone' || digits.length > 0)) return;
    if (digits.length >= Number(input.dataset.max)) return;
    setEntry(input, digits + key);
    if (kind === 'pin') {
      tone();
      live(text('pin-count').replace('{n}', String(digits.length + 1)));
    } else {
      speak(key === '+' ? '+' : key);
      live(text('typed').replace('{d}', input.value));
    }
  }
  function erase() {
    const input = entry();
    if (!input) return;
    setEntry(input, raw(input).slice(0, -1));
    speak(text('speech-deleted'));
    live(text('speech-deleted'));
  }

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const key = e.key;
    hush();
    if (key === 'F1') {
      e.preventDefault();
      if (!state.speech) {
        setSpeech(true);
        speak(`${text('speech-on')} ${screenWords()}`);
      } else {
        speak(screenWords());
      }
      return;
    }
    if (key === 'F2') {
      e.preventDefault();
      setSpeech(false);
      hush();
      return;
    }
    if (key === 'F3') {
      e.preventDefault();
      if (screen() !== 'help') go('/kiosk/help');
      return;
    }
    if (warningShown()) {
      if (key === 'Enter' || key === ' ') {
        e.preventDefault();
        extend();
      }
      return;
    }
    armIdle();
    if (key === 'Escape') {
      e.preventDefault();
      if (screen() === 'help') go('/kiosk');
      else if (document.body.dataset.session) post('/kiosk/cancel');
      return;
    }
    // The tactile keypad has no Tab: Enter confirms the step wherever the focus was left by a tap.
    const onControl = screen() === 'pair';
    if (screen() === 'start') {
      const number = /^[1-7]$/.test(key) ? key : key === 'Enter' && !onControl ? '1' : null;
      if (number) {
        e.preventDefault();
        const choice = $(`[data-number="${number}"]`);
        post('/kiosk/start', choice.form, choice);
      }
      return;
    }
    const input = entry();
    if (input) {
      if (/^[0-9]$/.test(key)) {
        e.preventDefault();
        type(key);
        return;
      }
      if (key === '+') {
        e.preventDefault();
        type('+');
        return;
      }
      if (key === 'Backspace') {
        e.preventDefault();
        erase();
        return;
      }
      if (key === 'Enter' && !onControl) {
        e.preventDefault();
        post(input.form.action, input.form);
        return;
      }
    }
    if (key === 'Enter' && !onControl) {
      const confirm = $('main form .confirm');
      if (confirm) {
        e.preventDefault();
        post(confirm.form.action, confirm.form, confirm);
      } else if (screen() === 'help' || screen() === 'hitch') {
        e.preventDefault();
        go('/kiosk');
      }
    }
  });

  document.addEventListener('pointerdown', () => {
    hush();
    if (!warningShown()) armIdle();
  });

  document.addEventListener('click', (e) => {
    const target = e.target.closest('button, a');
    if (!target) return;
    if (target.matches('[data-key]')) {
      e.preventDefault();
      if (target.dataset.key === 'Backspace') erase();
      else type(target.dataset.key);
      return;
    }
    if (target.matches('.mode')) {
      toggleMode(target.dataset.mode);
      if (e.detail > 0) $('#title').focus({ preventScroll: true });
      return;
    }
    if (target.matches('.extend')) {
      extend();
      return;
    }
    if (target.matches('.show-pin')) {
      const input = entry();
      const showing = input.type === 'text';
      input.type = showing ? 'password' : 'text';
      target.setAttribute('aria-pressed', String(!showing));
      target.textContent = showing ? target.dataset.show : target.dataset.hide;
      return;
    }
    if (target.matches('a[href^="/kiosk"]')) {
      e.preventDefault();
      go(target.getAttribute('href'));
    }
  });

  document.addEventListener('submit', (e) => {
    e.preventDefault();
    post(e.target.action, e.target, e.submitter);
  });

  // Keypad keys do not take the focus, so that Enter on the tactile keypad confirms, not repeats.
  document.addEventListener('mousedown', (e) => {
    if (e.target.closest('.keypad button')) e.preventDefault();
  });

  onScreen();
})();
