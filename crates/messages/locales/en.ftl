date-format = %d/%m/%Y

document-id_card = ID card
document-passport = passport
document-child_passport = child passport
document-residence_permit = residence permit

sms-ready = Your { $document } is ready at the pickup box { $site }. PIN: { $pin } – collect by { $deadline }. Please bring your old ID.
sms-ready-birth-date = Your { $document } is ready at the pickup box { $site }. PIN: { $pin } – collect by { $deadline }.
sms-ready-family = Your { $document } is also ready at the pickup box { $site }. The PIN from your first SMS applies. Collect by { $deadline }.
sms-new-pin = Your { $document } at the pickup box { $site } is released again. New PIN: { $pin } – collect by { $deadline }. The old PIN no longer works.
sms-withdrawn = Your { $document } was not collected in time and is now waiting for you at the counter ({ $site }).

kiosk-phone-or-pin-wrong = Mobile number or PIN is not right. After several wrong tries you will get your document at the counter.
kiosk-locked = Your document is locked. You will get it at the counter.

weekdays = Mo Tu We Th Fr Sa Su
sms-hours = Opening hours: { $hours }.
