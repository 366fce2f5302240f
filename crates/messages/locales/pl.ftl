date-format = %d.%m.%Y

document-id_card = dowód osobisty
document-passport = paszport
document-child_passport = paszport dziecięcy
document-residence_permit = dokument pobytowy

sms-ready = Twój dokument ({ $document }) czeka w skrytce { $site }. PIN: { $pin } – odbiór do { $deadline }. Prosimy zabrać stary dokument.
sms-ready-birth-date = Twój dokument ({ $document }) czeka w skrytce { $site }. PIN: { $pin } – odbiór do { $deadline }.
sms-ready-family = Twój dokument ({ $document }) również czeka w skrytce { $site }. Obowiązuje PIN z pierwszego SMS. Odbiór do { $deadline }.
sms-new-pin = Dokument { $document } w skrytce odbioru { $site } jest ponownie dostępny. Nowy PIN: { $pin } – odbiór do { $deadline }. Stary PIN już nie obowiązuje.
sms-withdrawn = Dokument { $document } nie został odebrany na czas i czeka teraz na Państwa w okienku ({ $site }).

kiosk-phone-or-pin-wrong = Numer telefonu komórkowego lub PIN są nieprawidłowe. Po kilku błędnych próbach otrzymają Państwo dokument w okienku.
kiosk-locked = Dokument jest zablokowany. Otrzymają go Państwo w okienku.

weekdays = Pn Wt Śr Cz Pt So Nd
sms-hours = Godziny otwarcia: { $hours }.
