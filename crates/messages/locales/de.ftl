# Deutsch: die maßgebliche Sprache. Jede Übersetzung hat genau dieselben Schlüssel.

# Datumsformat für SMS (strftime).
date-format = %d.%m.%Y

document-id_card = Personalausweis
document-passport = Reisepass
document-child_passport = Kinderreisepass
document-residence_permit = Aufenthaltstitel
old-document-id_card = alten Ausweis
old-document-passport = alten Pass
old-document-child_passport = alten Kinderpass
old-document-residence_permit = alten Aufenthaltstitel

# Muss mit PIN in eine SMS (160 Zeichen GSM-7) passen.
sms-ready = { $document } liegt in der Abholbox { $site }, { $address }. PIN { $pin }, abholen bis { $deadline }, { $old_document } mitbringen.
sms-ready-birth-date = { $document } liegt in der Abholbox { $site }, { $address }. PIN { $pin }, abholen bis { $deadline }.
sms-ready-family = Auch Ihr { $document } liegt in der Abholbox { $site }, { $address }. Es gilt die zuletzt gesendete PIN. Abholen bis { $deadline }.
sms-new-pin = Neue PIN { $pin } für { $document } in der Abholbox { $site }, { $address }. Die alte PIN gilt nicht mehr. Abholen bis { $deadline }.
sms-new-pin-family = Neue PIN { $pin } für Ihre Dokumente in der Abholbox { $site }, { $address }. Die alte PIN gilt nicht mehr. Abholen bis { $deadline }.
sms-reminder = Erinnerung: { $document } liegt noch in der Abholbox { $site }, { $address }. Abholen bis { $deadline } mit der PIN aus der SMS.
sms-withdrawn = Ihr { $document } wurde nicht abgeholt und liegt jetzt am Schalter: { $site }, { $address }.

# Texte am Bedienfeld
kiosk-phone-or-pin-wrong = Handynummer oder PIN stimmen nicht. Nach mehreren falschen Versuchen erhalten Sie Ihr Dokument am Schalter.
kiosk-locked = Ihr Dokument ist gesperrt. Sie erhalten es am Schalter.

# Wochentage in Öffnungszeiten, Montag bis Sonntag, durch Leerzeichen getrennt.
weekdays = Mo Di Mi Do Fr Sa So
sms-hours = Öffnungszeiten: { $hours }.
