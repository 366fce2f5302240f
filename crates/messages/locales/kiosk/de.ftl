# Texte am Bedienfeld der Abholbox, Deutsch: die maßgebliche Sprache.
# Jede Übersetzung hat genau dieselben Schlüssel und Platzhalter (ein Test prüft es).
# Kurze Sätze, Sie-Form, keine Abkürzungen: die Texte werden auch vorgelesen.

page-title = Abholbox
keys-hint = Hilfe: Taste F3. Sprachausgabe: Taste F1.
button-help = Hilfe
button-cancel = Abbrechen
button-confirm = Weiter
button-delete = Löschen
button-back = Zurück
keypad = Ziffernfeld
display-modes = Anzeige
mode-contrast = Hoher Kontrast
mode-large = Große Schrift
status-region = Hinweise

start-title = Ausweis oder Pass abholen
start-lead = Sie brauchen Ihre Handynummer, die PIN aus der SMS und Ihren alten Ausweis oder Pass.
start-counter = Sie können Ihr Dokument auch am Schalter im Bürgerbüro abholen.
start-language = Sprache wählen
start-begin = Start
start-keys = Enter: Start auf Deutsch. Ziffer 1 bis 7: Sprache wählen.

phone-title = Ihre Handynummer
phone-prompt = Geben Sie die Handynummer ein, die Sie beim Antrag angegeben haben.
phone-example = Zum Beispiel 0151 2345678 oder +49 151 2345678
phone-plus = Plus

pin-title = PIN aus der SMS
pin-prompt = Geben Sie die PIN aus der SMS ein.
pin-show = PIN zeigen
pin-hide = PIN verbergen
pin-digits = { $count } Ziffern eingegeben

letter-title = PIN-Brief erhalten?
letter-prompt = Zu Ihrem Personalausweis gehört ein PIN-Brief mit der PIN für die Online-Ausweisfunktion. Er kommt getrennt per Post.
letter-without = Ohne PIN-Brief brechen Sie bitte ab und holen Ihren Ausweis am Schalter ab.
letter-confirm = Ich habe meinen PIN-Brief erhalten

document-of = Dokument { $position } von { $of }: { $kind }
kind-id_card = Personalausweis
kind-passport = Reisepass
kind-child_passport = Kinderreisepass
kind-residence_permit = Aufenthaltstitel

old-title = Alten Ausweis oder Pass einlegen
old-prompt = Legen Sie Ihren alten Ausweis oder Pass in den Schlitz rechts unter dem Bildschirm. Er wird gelesen und zur Vernichtung einbehalten.
old-picture = Bild: Der Schlitz ist rechts unter dem Bildschirm. Das Dokument mit der Schrift nach oben einlegen.
old-waiting = Wir warten auf Ihr Dokument.
old-rejected = Dieses Dokument passt nicht. Bitte nehmen Sie es wieder aus dem Schlitz.

birth-title = Ihr Geburtsdatum
birth-prompt = Geben Sie Ihr Geburtsdatum ein: Tag, Monat und Jahr, nur Ziffern.
birth-title-holder = Geburtsdatum der Person auf dem Dokument
birth-prompt-holder = Geben Sie das Geburtsdatum der Person ein, für die dieses Dokument ausgestellt ist (beim Kinderreisepass: das des Kindes): Tag, Monat und Jahr, nur Ziffern.
birth-example = Zum Beispiel 12081974 für den 12. August 1974

collect-title = Fach { $label } öffnet sich
collect-where = Es ist im Modul { $module }: { $row }. Reihe von unten, { $column }. Fach von links.
collect-map = Plan der Abholbox, das offene Fach ist markiert
collect-take = Bitte nehmen Sie Ihr Dokument und schließen Sie die Tür.
collect-reminder = Bitte schließen Sie jetzt die Tür des Fachs.

done-title = Vielen Dank!
done-text = Sie haben Ihr Dokument. Auf Wiedersehen.
done-back = Zum Anfang

ended-title = Die Abholung ist beendet
refused-title = Abholung hier gerade nicht möglich
ended-timeout = Die Zeit ist abgelaufen. Bitte beginnen Sie neu.
ended-locked = Ihr Dokument ist gesperrt. Sie erhalten es am Schalter.
ended-too_many_attempts = Zu viele falsche Eingaben. Sie erhalten Ihr Dokument am Schalter.
ended-cancelled = Sie haben die Abholung abgebrochen.
ended-failed = Das Fach hat sich nicht geöffnet. Bitte gehen Sie zum Schalter. Das Personal ist informiert. Falls Sie Ihr altes Dokument eingelegt haben: Bitte nehmen Sie es wieder aus dem Schlitz.
ended-unavailable = Ihr Dokument kann hier gerade nicht ausgegeben werden. Bitte gehen Sie zum Schalter. Falls Sie Ihr altes Dokument eingelegt haben: Bitte nehmen Sie es wieder aus dem Schlitz.
ended-door_left_open = Die Tür des Fachs ist offen geblieben. Das Personal ist informiert.
ended-interrupted = Die Abholbox wurde neu gestartet. Bitte gehen Sie zum Schalter.

error-phone_or_pin_wrong = Handynummer oder PIN stimmen nicht. Bitte versuchen Sie es noch einmal. Nach mehreren falschen Versuchen erhalten Sie Ihr Dokument am Schalter.
error-invalid_phone = Das ist keine vollständige Handynummer. Bitte prüfen Sie die Eingabe.
error-invalid_pin = Bitte geben Sie alle Ziffern der PIN ein.
error-invalid_birth_date = Das ist kein gültiges Datum. Bitte geben Sie Tag, Monat und Jahr mit 8 Ziffern ein.
error-birth_date_wrong = Das Geburtsdatum stimmt nicht. Bitte versuchen Sie es noch einmal.
error-old_document_rejected = Dieses Dokument passt nicht zu Ihrer Abholung. Bitte nehmen Sie es wieder aus dem Schlitz.
error-old_document_unreadable = Ihr Dokument konnte nicht gelesen werden. Bitte nehmen Sie es aus dem Schlitz und legen Sie es noch einmal ein, mit der Schrift nach oben.
error-locked = Ihr Dokument ist gesperrt. Sie erhalten es am Schalter.
error-not_available = Ihr Dokument kann hier gerade nicht ausgegeben werden. Bitte gehen Sie zum Schalter. Falls Sie Ihr altes Dokument eingelegt haben: Bitte nehmen Sie es wieder aus dem Schlitz.
error-panel_cooling_down = Zu viele falsche Eingaben an diesem Gerät. Bitte warten Sie einen Moment und versuchen Sie es dann noch einmal.
error-box_closed = Die Abholbox ist jetzt geschlossen. Bitte kommen Sie während der Öffnungszeiten wieder.
error-box_out_of_order = Die Abholbox ist gerade außer Betrieb. Bitte gehen Sie zum Schalter.
error-box_unavailable = Das Fach hat sich nicht geöffnet. Bitte gehen Sie zum Schalter. Das Personal ist informiert. Falls Sie Ihr altes Dokument eingelegt haben: Bitte nehmen Sie es wieder aus dem Schlitz.
error-session_ended = Die Abholung ist schon beendet. Bitte beginnen Sie neu.
error-other = Das hat nicht geklappt. Bitte versuchen Sie es noch einmal oder gehen Sie zum Schalter.

timeout-title = Sind Sie noch da?
timeout-text = Ohne Eingabe beginnt die Abholbox in { $seconds } Sekunden von vorn.
timeout-extend = Ich bin noch da

help-title = Hilfe
help-no-pin = Keine SMS bekommen, PIN vergessen oder kein Handy dabei? Dann erhalten Sie Ihr Dokument am Schalter.
help-counter = Schalter: { $site }, { $address }
help-phone = Telefon: { $phone }
help-hours = Öffnungszeiten: { $hours }
help-always-open = Die Abholbox ist jederzeit geöffnet.
help-call = Personal rufen
help-called = Das Personal ist informiert und kommt zu Ihnen.
help-keys = Tasten: Ziffern 0 bis 9 für Eingaben. Enter bestätigt. Rückschritt löscht die letzte Ziffer. Escape bricht ab. F1 schaltet die Sprachausgabe ein und wiederholt den Bildschirm. F2 schaltet sie aus. F3 öffnet diese Hilfe.

speech-on = Sprachausgabe ist an.
speech-off = Sprachausgabe ist aus.
speech-typed = Eingegeben: { $digits }
speech-deleted = Gelöscht.

unpaired-title = Dieses Bedienfeld ist nicht eingerichtet
unpaired-text = Bitte wenden Sie sich an das Personal im Bürgerbüro.
pair-title = Bedienfeld koppeln
pair-text = Für das Personal: Geben Sie den Kiosk-Token dieses Bedienfelds ein. Er bleibt nur in diesem Browser gespeichert.
pair-token = Kiosk-Token
pair-submit = Koppeln
pair-refused = Dieser Token gehört zu keinem Bedienfeld.
