date-format = %d.%m.%Y

document-id_card = dowód osobisty
document-passport = paszport
document-child_passport = paszport dziecięcy
document-residence_permit = dokument pobytowy
old-document-id_card = stary dowód osobisty
old-document-passport = stary paszport
old-document-child_passport = stary paszport dziecięcy
old-document-residence_permit = stary dokument pobytowy

sms-ready = Twój dokument ({ $document }) czeka w skrytce { $site }, { $address }. PIN { $pin }, odbiór do { $deadline }. Prosimy zabrać { $old_document }.
sms-ready-birth-date = Twój dokument ({ $document }) czeka w skrytce { $site }, { $address }. PIN { $pin }, odbiór do { $deadline }.
sms-ready-family = Twój dokument ({ $document }) również czeka w skrytce { $site }, { $address }. Obowiązuje ostatnio wysłany PIN. Odbiór do { $deadline }.
sms-new-pin = Nowy PIN do dokumentu ({ $document }) w skrytce { $site }, { $address }: { $pin }. Stary PIN już nie obowiązuje. Odbiór do { $deadline }.
sms-new-pin-family = Nowy PIN do Twoich dokumentów w skrytce { $site }, { $address }: { $pin }. Stary PIN już nie obowiązuje. Odbiór do { $deadline }.
sms-reminder = Przypomnienie: Twój dokument ({ $document }) nadal czeka w skrytce { $site }, { $address }. Odbiór do { $deadline } z PIN z SMS.
sms-withdrawn = Twój dokument ({ $document }) nie został odebrany i czeka teraz w okienku: { $site }, { $address }.

kiosk-phone-or-pin-wrong = Numer telefonu komórkowego lub PIN są nieprawidłowe. Po kilku błędnych próbach otrzymają Państwo dokument w okienku.
kiosk-locked = Dokument jest zablokowany. Otrzymają go Państwo w okienku.

weekdays = Pn Wt Śr Cz Pt So Nd
sms-hours = Godziny otwarcia: { $hours }.
