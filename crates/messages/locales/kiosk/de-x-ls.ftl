# Kiosk panel texts in Leichte Sprache (easy German); de.ftl is the reference.
# Same keys and placeholders as de.ftl. Short sentences, Sie form, no abbreviations.

page-title = Abhol-Box
keys-hint = Sie brauchen Hilfe? Drücken Sie die Taste F3. Die Abhol-Box soll vorlesen? Drücken Sie die Taste F1.
button-help = Hilfe
button-cancel = Abbrechen
button-confirm = Weiter
button-delete = Löschen
button-back = Zurück
keypad = Tasten mit Zahlen
display-modes = Bildschirm einstellen
mode-contrast = Deutliche Farben
mode-large = Große Schrift
status-region = Hinweise

start-title = Ausweis oder Pass abholen
start-lead = Sie brauchen Ihre Handy-Nummer. Sie brauchen die PIN aus der SMS. Und Sie brauchen Ihren alten Ausweis oder Ihren alten Pass.
start-counter = Sie können Ihr Dokument auch am Schalter abholen. Der Schalter ist im Bürger-Büro.
start-language = Sprache wählen
start-begin = Start
start-keys = Drücken Sie Enter: Dann fangen Sie auf Deutsch an. Drücken Sie eine Zahl von 1 bis 7: Dann wählen Sie eine Sprache.

phone-title = Ihre Handy-Nummer
phone-prompt = Sie haben einen Antrag gestellt. Dabei haben Sie eine Handy-Nummer angegeben. Geben Sie diese Handy-Nummer ein.
phone-example = Zum Beispiel: 0151 2345678 oder +49 151 2345678
phone-plus = Plus

pin-title = PIN aus der SMS
pin-prompt = Geben Sie die PIN aus der SMS ein.
pin-show = PIN zeigen
pin-hide = PIN verstecken
pin-digits = So viele Zahlen haben Sie eingegeben: { $count }

letter-title = Haben Sie den PIN-Brief?
letter-prompt = Zu Ihrem Ausweis gehört ein Brief mit einer PIN. Der Brief kommt mit der Post. Die PIN brauchen Sie für den Ausweis im Internet.
letter-without = Sie haben den Brief nicht? Dann drücken Sie Abbrechen. Gehen Sie zum Schalter.
letter-confirm = Ich habe den PIN-Brief

document-of = Dokument { $position } von { $of }: { $kind }
kind-id_card = Personal-Ausweis
kind-passport = Reise-Pass
kind-child_passport = Kinder-Reise-Pass
kind-residence_permit = Aufenthalts-Titel

old-title = Alten Ausweis oder alten Pass einlegen
old-prompt = Legen Sie Ihren alten Ausweis oder Ihren alten Pass in den Schlitz. Der Schlitz ist rechts unter dem Bildschirm. Die Abhol-Box liest das Dokument. Die Abhol-Box behält das Dokument. Sie bekommen es nicht zurück. Das Bürger-Büro zerstört das alte Dokument.
old-picture = Bild: Der Schlitz ist rechts unter dem Bildschirm. Legen Sie das Dokument so ein: Die Schrift ist oben.
old-waiting = Wir warten auf Ihr Dokument.
old-rejected = Dieses Dokument passt nicht. Bitte nehmen Sie das Dokument wieder aus dem Schlitz.

birth-title = Ihr Geburts-Datum
birth-prompt = Geben Sie Ihr Geburts-Datum ein. Die Reihen-Folge ist: Tag, Monat, Jahr. Geben Sie nur Zahlen ein.
birth-title-holder = Geburts-Datum von der Person auf dem Dokument
birth-prompt-holder = Für wen ist dieses Dokument? Für Sie oder für Ihr Kind? Geben Sie das Geburts-Datum von dieser Person ein. Die Reihen-Folge ist: Tag, Monat, Jahr. Geben Sie nur Zahlen ein.
birth-example = Zum Beispiel: Der Geburts-Tag ist der 12. August 1974. Dann geben Sie ein: 12081974

collect-title = Fach { $label } geht auf
collect-where = Das Fach ist im Modul { $module }. Zählen Sie die Reihen von unten: Es ist die Reihe { $row }. Zählen Sie die Fächer von links: Es ist das Fach { $column }.
collect-map = Plan von der Abhol-Box. Das offene Fach ist markiert.
collect-take = Bitte nehmen Sie Ihr Dokument. Dann machen Sie die Tür zu.
collect-reminder = Bitte machen Sie jetzt die Tür vom Fach zu.

done-title = Vielen Dank!
done-text = Sie haben Ihr Dokument. Auf Wiedersehen.
done-back = Zum Anfang

ended-title = Die Abholung ist zu Ende
refused-title = Abholen geht hier gerade nicht
ended-timeout = Die Zeit ist um. Bitte fangen Sie noch einmal von vorne an.
ended-locked = Ihr Dokument ist gesperrt. Sie bekommen Ihr Dokument am Schalter.
ended-too_many_attempts = Sie haben zu oft etwas Falsches eingegeben. Sie bekommen Ihr Dokument am Schalter.
ended-cancelled = Sie haben die Abholung abgebrochen.
ended-failed = Das Fach ist nicht aufgegangen. Bitte gehen Sie zum Schalter. Die Mitarbeiter wissen schon Bescheid. Haben Sie Ihr altes Dokument in den Schlitz gelegt? Dann nehmen Sie es bitte wieder heraus.
ended-unavailable = Sie können Ihr Dokument gerade nicht hier bekommen. Bitte gehen Sie zum Schalter. Haben Sie Ihr altes Dokument in den Schlitz gelegt? Dann nehmen Sie es bitte wieder heraus.
ended-door_left_open = Die Tür vom Fach ist offen geblieben. Die Mitarbeiter wissen schon Bescheid.
ended-interrupted = Die Abhol-Box hat sich neu gestartet. Bitte gehen Sie zum Schalter.

error-phone_or_pin_wrong = Die Handy-Nummer oder die PIN ist falsch. Bitte versuchen Sie es noch einmal. Ist es mehrmals falsch? Dann bekommen Sie Ihr Dokument nur noch am Schalter.
error-invalid_phone = Die Handy-Nummer ist nicht komplett. Bitte prüfen Sie die Nummer.
error-invalid_pin = Bitte geben Sie alle Zahlen von der PIN ein.
error-invalid_birth_date = Das ist kein richtiges Datum. Bitte geben Sie Tag, Monat und Jahr ein. Das sind 8 Zahlen.
error-birth_date_wrong = Das Geburts-Datum ist falsch. Bitte versuchen Sie es noch einmal.
error-old_document_rejected = Dieses Dokument passt nicht zu Ihrer Abholung. Bitte nehmen Sie das Dokument wieder aus dem Schlitz.
error-old_document_unreadable = Die Abhol-Box kann Ihr Dokument nicht lesen. Nehmen Sie das Dokument aus dem Schlitz. Legen Sie es noch einmal ein. Die Schrift muss nach oben zeigen.
error-locked = Ihr Dokument ist gesperrt. Sie bekommen es am Schalter.
error-not_available = Sie bekommen Ihr Dokument hier jetzt nicht. Bitte gehen Sie zum Schalter. Haben Sie Ihr altes Dokument in den Schlitz gelegt? Dann nehmen Sie es bitte wieder heraus.
error-panel_cooling_down = An diesem Gerät gab es zu viele falsche Eingaben. Bitte warten Sie kurz. Dann versuchen Sie es noch einmal.
error-box_closed = Die Abhol-Box ist jetzt zu. Bitte kommen Sie zu den Öffnungs-Zeiten wieder.
error-box_out_of_order = Die Abhol-Box funktioniert gerade nicht. Bitte gehen Sie zum Schalter.
error-box_unavailable = Das Fach ist nicht aufgegangen. Bitte gehen Sie zum Schalter. Die Mitarbeiter wissen schon Bescheid. Haben Sie Ihr altes Dokument in den Schlitz gelegt? Dann nehmen Sie es bitte wieder heraus.
error-session_ended = Die Abholung ist schon zu Ende. Bitte fangen Sie noch einmal von vorne an.
error-other = Das hat nicht geklappt. Bitte versuchen Sie es noch einmal. Oder gehen Sie zum Schalter.

timeout-title = Sind Sie noch da?
timeout-text = Geben Sie nichts ein? Dann fängt die Abhol-Box von vorne an. So viele Sekunden bleiben noch: { $seconds }
timeout-extend = Ich bin noch da

help-title = Hilfe
help-no-pin = Sie haben keine SMS bekommen? Oder Sie haben die PIN vergessen? Oder Sie haben kein Handy dabei? Dann bekommen Sie Ihr Dokument am Schalter.
help-counter = Schalter: { $site }, { $address }
help-phone = Telefon: { $phone }
help-hours = Öffnungs-Zeiten: { $hours }
help-always-open = Die Abhol-Box ist immer offen.
help-call = Mitarbeiter rufen
help-called = Die Mitarbeiter wissen Bescheid. Gleich kommt jemand zu Ihnen.
help-keys = So benutzen Sie die Tasten: Mit den Zahlen 0 bis 9 geben Sie etwas ein. Mit Enter bestätigen Sie. Die Taste Rückschritt löscht die letzte Zahl. Mit Escape brechen Sie ab. Mit F1 schalten Sie das Vorlesen an. Die Abhol-Box liest dann den Bildschirm noch einmal vor. Mit F2 schalten Sie das Vorlesen aus. Mit F3 kommen Sie zu dieser Hilfe.

speech-on = Vorlesen ist an.
speech-off = Vorlesen ist aus.
speech-typed = Sie haben eingegeben: { $digits }
speech-deleted = Gelöscht.

unpaired-title = Dieses Bedien-Feld ist noch nicht bereit
unpaired-text = Bitte fragen Sie die Mitarbeiter im Bürger-Büro.
pair-title = Bedien-Feld verbinden
pair-text = Für die Mitarbeiter: Geben Sie hier den Kiosk-Token von diesem Bedien-Feld ein. Nur dieser Browser speichert den Token.
pair-token = Kiosk-Token
pair-submit = Verbinden
pair-refused = Dieser Token passt zu keinem Bedien-Feld.
