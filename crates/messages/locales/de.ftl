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
