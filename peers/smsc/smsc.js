// An SMPP 3.4 SMSC on the npm `smpp` library (an implementation independent of ours), for the SMPP
// client's tests and benchmark. It prints one JSON line per thing it sees on stdout, the first being
// {"event":"listening","port":N}, and takes commands on stdin, one a line:
//   throttle N    answer the next N submit_sm with ESME_RTHROTTLED (0x58)
//   queue_full N  answer the next N submit_sm with ESME_RMSGQFUL (0x14)
//   hold          stop answering submit_sm (they stay in the client's window)
//   drop          close every connection at once (held submits are never answered)
//   release       answer submit_sm again
//   quiet         stop printing a line per submit_sm (for the benchmark)
// Every accepted submit_sm that asks for a receipt (registered_delivery bit 0) gets a delivery receipt
// on a transceiver bind: `stat:DELIVRD`, or `stat:UNDELIV` for a destination ending in 99. A
// destination ending in 00 is refused with ESME_RINVDSTADR (0x0B), as an invalid number is.
// Usage: node smsc.js [--port N] [--system-id ID] [--password PW]
'use strict';
const smpp = require('smpp');
const readline = require('readline');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const port = Number(arg('--port', '0'));
const systemId = arg('--system-id', 'abholbox');
const password = arg('--password', 'secret');

let nextId = 1;
let throttle = 0;
let queueFull = 0;
let holding = false;
let quiet = false;
let submits = 0;
const sessions = new Set();

const print = (event) => process.stdout.write(JSON.stringify(event) + '\n');

function stamp(date) {
  const two = (n) => String(n).padStart(2, '0');
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}` +
    `${two(date.getUTCHours())}${two(date.getUTCMinutes())}`;
}

function receipt(session, pdu, id) {
  const undeliverable = String(pdu.destination_addr).endsWith('99');
  const stat = undeliverable ? 'UNDELIV' : 'DELIVRD';
  const now = stamp(new Date());
  session.deliver_sm({
    source_addr: pdu.destination_addr,
    source_addr_ton: pdu.dest_addr_ton,
    source_addr_npi: pdu.dest_addr_npi,
    destination_addr: pdu.source_addr,
    esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
    short_message: `id:${id} sub:001 dlvrd:${undeliverable ? '000' : '001'} submit date:${now} done date:${now} stat:${stat} err:000 text:`,
    receipted_message_id: id,
    message_state: undeliverable ? smpp.MESSAGE_STATE.UNDELIVERABLE : smpp.MESSAGE_STATE.DELIVERED,
  }, (resp) => print({ event: 'receipt_acknowledged', message_id: id, status: resp.command_status }));
}

function onSubmit(session, pdu) {
  submits += 1;
  const message = pdu.short_message || {};
  if (!quiet) {
    print({
      event: 'submit',
      source_addr: pdu.source_addr,
      source_addr_ton: pdu.source_addr_ton,
      destination_addr: pdu.destination_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      data_coding: pdu.data_coding,
      esm_class: pdu.esm_class,
      registered_delivery: pdu.registered_delivery,
      udh: message.udh ? message.udh.map((b) => Buffer.from(b).toString('hex')) : [],
      text: typeof message.message === 'string' ? message.message : Buffer.from(message.message || []).toString('hex'),
    });
  }
  if (holding) {
    print({ event: 'held' });
    return;
  }
  if (throttle > 0 || queueFull > 0) {
    const status = throttle > 0 ? smpp.ESME_RTHROTTLED : smpp.ESME_RMSGQFUL;
    if (throttle > 0) throttle -= 1; else queueFull -= 1;
    print({ event: 'refused', status });
    session.send(pdu.response({ command_status: status }));
    return;
  }
  if (String(pdu.destination_addr).endsWith('00')) {
    print({ event: 'refused', status: smpp.ESME_RINVDSTADR });
    session.send(pdu.response({ command_status: smpp.ESME_RINVDSTADR }));
    return;
  }
  const id = `smsc-${nextId++}`;
  session.send(pdu.response({ message_id: id }));
  if (!quiet) print({ event: 'accepted', message_id: id });
  if ((pdu.registered_delivery & 1) && session.transceiver) {
    setTimeout(() => receipt(session, pdu, id), 20);
  }
}

const server = smpp.createServer((session) => {
  sessions.add(session);
  session.on('close', () => sessions.delete(session));
  session.on('error', () => sessions.delete(session));
  const bind = (kind) => (pdu) => {
    if (pdu.system_id !== systemId || pdu.password !== password) {
      print({ event: 'bind_refused', kind });
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      session.close();
      return;
    }
    session.transceiver = kind === 'transceiver';
    print({ event: 'bound', kind, interface_version: pdu.interface_version });
    session.send(pdu.response({ system_id: 'smsc' }));
  };
  session.on('bind_transmitter', bind('transmitter'));
  session.on('bind_transceiver', bind('transceiver'));
  session.on('enquire_link', (pdu) => {
    print({ event: 'enquire_link' });
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    print({ event: 'unbind' });
    session.send(pdu.response());
    session.close();
  });
  session.on('submit_sm', (pdu) => onSubmit(session, pdu));
});

server.listen(port, '127.0.0.1', () => print({ event: 'listening', port: server.address().port }));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, count] = line.trim().split(/\s+/);
  if (command === 'throttle') throttle = Number(count || 1);
  else if (command === 'queue_full') queueFull = Number(count || 1);
  else if (command === 'hold') holding = true;
  else if (command === 'release') holding = false;
  else if (command === 'quiet') quiet = true;
  else if (command === 'count') print({ event: 'count', submits });
  else if (command === 'drop') {
    for (const session of sessions) session.destroy();
    sessions.clear();
  } else return;
  print({ event: 'ok', command });
}).on('close', () => process.exit(0));
