# Kiosk panel texts in English; de.ftl is the reference.
# Same keys and placeholders as de.ftl. Short sentences: the texts are also read aloud.

page-title = Pickup box
keys-hint = Help: press F3. Read aloud: press F1.
button-help = Help
button-cancel = Cancel
button-confirm = Continue
button-delete = Delete
button-back = Back
keypad = Number keypad
display-modes = Display
mode-contrast = High contrast
mode-large = Large text
status-region = Messages

start-title = Collect your ID card or passport
start-lead = You need your mobile number, the PIN from the SMS and your old ID card or passport.
start-counter = You can also collect your document at the counter in the citizens' office.
start-language = Choose a language
start-begin = Start
start-keys = Enter: start in German. Digits 1 to 7: choose a language.

phone-title = Your mobile number
phone-prompt = Enter the mobile number that you gave in your application.
phone-example = For example 0151 2345678 or +49 151 2345678
phone-plus = Plus

pin-title = PIN from the SMS
pin-prompt = Enter the PIN from the SMS.
pin-show = Show PIN
pin-hide = Hide PIN
pin-digits = Digits entered: { $count }

letter-title = Have you received your PIN letter?
letter-prompt = Your ID card comes with a PIN letter holding the PIN for its online ID function. It is sent separately by post.
letter-without = Without the PIN letter, please cancel and collect your ID card at the counter.
letter-confirm = I have received my PIN letter

document-of = Document { $position } of { $of }: { $kind }
kind-id_card = ID card
kind-passport = Passport
kind-child_passport = Child passport
kind-residence_permit = Residence permit

old-title = Insert your old ID card or passport
old-prompt = Put your old ID card or passport into the slot on the right below the screen. The box reads it and keeps it so that it can be destroyed.
old-picture = Picture: the slot is on the right below the screen. Insert the document with the writing facing up.
old-waiting = We are waiting for your document.
old-rejected = This document is not the right one. Please take it back out of the slot.

birth-title = Your date of birth
birth-prompt = Enter your date of birth: day, month and year, digits only.
birth-title-holder = The holder's date of birth
birth-prompt-holder = Enter the date of birth of the person this document is for (for a child's passport, the child's): day, month and year, digits only.
birth-example = For example 12081974 for 12 August 1974

collect-title = Compartment { $label } is opening
collect-where = It is in module { $module }: row { $row } from the bottom, compartment { $column } from the left.
collect-map = Plan of the pickup box with the open compartment marked
collect-take = Please take your document and close the door.
collect-reminder = Please close the compartment door now.

done-title = Thank you!
done-text = You have your document. Goodbye.
done-back = Back to the start

ended-title = The collection has ended
refused-title = Collection is not possible here right now
ended-timeout = Time is up. Please start again.
ended-locked = Your document is locked. You can collect it at the counter.
ended-too_many_attempts = Too many wrong entries. You can collect your document at the counter.
ended-cancelled = You have cancelled the collection.
ended-failed = The compartment did not open. Please go to the counter. Staff have been informed. If you inserted your old document, please take it back from the slot.
ended-unavailable = Your document cannot be issued here at the moment. Please go to the counter. If you inserted your old document, please take it back from the slot.
ended-door_left_open = The compartment door was left open. Staff have been informed.
ended-interrupted = The pickup box has restarted. Please go to the counter.

error-phone_or_pin_wrong = The mobile number or PIN is not correct. Please try again. After several wrong attempts, you will get your document at the counter.
error-invalid_phone = This is not a complete mobile number. Please check what you entered.
error-invalid_pin = Please enter all the digits of the PIN.
error-invalid_birth_date = This is not a valid date. Please enter day, month and year as 8 digits.
error-birth_date_wrong = The date of birth is not correct. Please try again.
error-old_document_rejected = This document does not match your collection. Please take it back out of the slot.
error-old_document_unreadable = Your document could not be read. Please take it out of the slot and insert it again, text side up.
error-locked = Your document is locked. You can collect it at the counter.
error-not_available = Your document cannot be handed out here right now. Please go to the counter. If you inserted your old document, please take it back from the slot.
error-panel_cooling_down = Too many wrong entries on this device. Please wait a moment, then try again.
error-box_closed = The pickup box is closed now. Please come back during opening hours.
error-box_out_of_order = The pickup box is out of order at the moment. Please go to the counter.
error-box_unavailable = The compartment did not open. Please go to the counter. Staff have been informed. If you inserted your old document, please take it back from the slot.
error-session_ended = The collection has already ended. Please start again.
error-other = That did not work. Please try again or go to the counter.

timeout-title = Are you still there?
timeout-text = If nothing is entered, the pickup box will start again. Seconds left: { $seconds }
timeout-extend = I am still here

help-title = Help
help-no-pin = No SMS received, PIN forgotten or no mobile phone with you? Then you can collect your document at the counter.
help-counter = Counter: { $site }, { $address }
help-phone = Telephone: { $phone }
help-hours = Opening hours: { $hours }
help-always-open = The pickup box is open at all times.
help-call = Call staff
help-called = Staff have been informed and are coming to you.
help-keys = Keys: digits 0 to 9 to enter numbers. Enter confirms. The Backspace key deletes the last digit. Escape cancels. F1 turns reading aloud on and repeats the screen. F2 turns it off. F3 opens this help.

speech-on = Reading aloud is on.
speech-off = Reading aloud is off.
speech-typed = Entered: { $digits }
speech-deleted = Deleted.

unpaired-title = This panel has not been set up
unpaired-text = Please ask the staff in the citizens' office.
pair-title = Pair this panel
pair-text = For staff: enter the kiosk token of this panel. It is stored only in this browser.
pair-token = Kiosk token
pair-submit = Pair
pair-refused = This token does not belong to any panel.
