date-format = %d/%m/%Y

document-id_card = ID card
document-passport = passport
document-child_passport = child passport
document-residence_permit = residence permit

sms-ready = Your { $document } is ready at the pickup box { $site }. PIN: { $pin } – collect by { $deadline }. Please bring your old ID.
sms-ready-birth-date = Your { $document } is ready at the pickup box { $site }. PIN: { $pin } – collect by { $deadline }.
sms-ready-family = Your { $document } is also ready at the pickup box { $site }. The PIN from your first SMS applies. Collect by { $deadline }.
