# Deutsch: die maßgebliche Sprache. Jede Übersetzung hat genau dieselben Schlüssel.

# Datumsformat für SMS (strftime).
date-format = %d.%m.%Y

document-id_card = Personalausweis
document-passport = Reisepass
document-child_passport = Kinderreisepass
document-residence_permit = Aufenthaltstitel

# Muss mit PIN in eine SMS (160 Zeichen GSM-7) passen.
sms-ready = Ihr { $document } liegt in der Ausgabebox { $site } bereit. PIN: { $pin } – Abholung bis { $deadline }. Bitte alten Ausweis mitbringen.
sms-ready-birth-date = Ihr { $document } liegt in der Ausgabebox { $site } bereit. PIN: { $pin } – Abholung bis { $deadline }.
sms-ready-family = Auch Ihr { $document } liegt in der Ausgabebox { $site } bereit. Es gilt die PIN aus Ihrer ersten SMS. Abholung bis { $deadline }.
sms-new-pin = Ihr { $document } in der Ausgabebox { $site } ist wieder freigegeben. Neue PIN: { $pin } – Abholung bis { $deadline }. Die alte PIN gilt nicht mehr.
sms-withdrawn = Ihr { $document } wurde nicht rechtzeitig abgeholt und liegt jetzt am Schalter für Sie bereit ({ $site }).

# Texte am Bedienfeld
kiosk-phone-or-pin-wrong = Handynummer oder PIN stimmen nicht. Nach mehreren falschen Versuchen erhalten Sie Ihr Dokument am Schalter.
kiosk-locked = Ihr Dokument ist gesperrt. Sie erhalten es am Schalter.

# Wochentage in Öffnungszeiten, Montag bis Sonntag, durch Leerzeichen getrennt.
weekdays = Mo Di Mi Do Fr Sa So
sms-hours = Öffnungszeiten: { $hours }.
