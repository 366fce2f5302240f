date-format = %-d %b %Y

document-id_card = ID card
document-passport = passport
document-child_passport = child passport
document-residence_permit = residence permit
old-document-id_card = old ID card
old-document-passport = old passport
old-document-child_passport = old child passport
old-document-residence_permit = old residence permit

sms-ready = Your { $document } is ready in the pickup box { $site }, { $address }. PIN { $pin }, collect by { $deadline }, bring your { $old_document }.
sms-ready-birth-date = Your { $document } is ready in the pickup box { $site }, { $address }. PIN { $pin }, collect by { $deadline }.
sms-ready-family = Your { $document } is also ready in the pickup box { $site }, { $address }. Use the PIN last sent to you. Collect by { $deadline }.
sms-new-pin = New PIN { $pin } for your { $document } in the pickup box { $site }, { $address }. The old PIN no longer works. Collect by { $deadline }.
sms-new-pin-family = New PIN { $pin } for your documents in the pickup box { $site }, { $address }. The old PIN no longer works. Collect by { $deadline }.
sms-reminder = Reminder: your { $document } is still in the pickup box { $site }, { $address }. Collect by { $deadline } with the PIN from the SMS.
sms-withdrawn = Your { $document } was not collected and is now at the counter: { $site }, { $address }.

kiosk-phone-or-pin-wrong = Mobile number or PIN is not right. After several wrong tries you will get your document at the counter.
kiosk-locked = Your document is locked. You will get it at the counter.

weekdays = Mo Tu We Th Fr Sa Su
sms-hours = Opening hours: { $hours }.
