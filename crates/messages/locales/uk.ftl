date-format = %d.%m.%Y

document-id_card = посвідчення особи
document-passport = паспорт
document-child_passport = дитячий паспорт
document-residence_permit = посвідка на проживання
old-document-id_card = старе посвідчення особи
old-document-passport = старий паспорт
old-document-child_passport = старий дитячий паспорт
old-document-residence_permit = стару посвідку на проживання

sms-ready = Ваш документ ({ $document }) готовий у боксі видачі { $site }, { $address }. PIN { $pin }, отримати до { $deadline }. Візьміть { $old_document }.
sms-ready-birth-date = Ваш документ ({ $document }) готовий у боксі видачі { $site }, { $address }. PIN { $pin }, отримати до { $deadline }.
sms-ready-family = Ваш документ ({ $document }) також готовий у боксі видачі { $site }, { $address }. Діє останній надісланий PIN. Отримати до { $deadline }.
sms-new-pin = Новий PIN для документа ({ $document }) у боксі видачі { $site }, { $address }: { $pin }. Старий PIN більше не діє. Отримати до { $deadline }.
sms-new-pin-family = Новий PIN для ваших документів у боксі видачі { $site }, { $address }: { $pin }. Старий PIN більше не діє. Отримати до { $deadline }.
sms-reminder = Нагадування: ваш документ ({ $document }) ще у боксі видачі { $site }, { $address }. Отримати до { $deadline } з PIN із SMS.
sms-withdrawn = Ваш документ ({ $document }) не отримано; тепер він чекає на вас біля віконця: { $site }, { $address }.

kiosk-phone-or-pin-wrong = Номер мобільного телефону або PIN неправильні. Після кількох невдалих спроб ви отримаєте документ біля віконця.
kiosk-locked = Ваш документ заблоковано. Ви отримаєте його біля віконця.

weekdays = Пн Вт Ср Чт Пт Сб Нд
sms-hours = Години роботи: { $hours }.
