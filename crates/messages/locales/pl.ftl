date-format = %d.%m.%Y

document-id_card = dowód osobisty
document-passport = paszport
document-child_passport = paszport dziecięcy
document-residence_permit = dokument pobytowy

sms-ready = Twój dokument ({ $document }) czeka w skrytce { $site }. PIN: { $pin } – odbiór do { $deadline }. Prosimy zabrać stary dokument.
sms-ready-birth-date = Twój dokument ({ $document }) czeka w skrytce { $site }. PIN: { $pin } – odbiór do { $deadline }.
sms-ready-family = Twój dokument ({ $document }) również czeka w skrytce { $site }. Obowiązuje PIN z pierwszego SMS. Odbiór do { $deadline }.
