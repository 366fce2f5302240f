date-format = %d.%m.%Y

document-id_card = посвідчення особи
document-passport = паспорт
document-child_passport = дитячий паспорт
document-residence_permit = посвідка на проживання

sms-ready = Ваш документ ({ $document }) готовий у боксі видачі { $site }. PIN: { $pin } – отримати до { $deadline }. Візьміть старий документ.
sms-ready-birth-date = Ваш документ ({ $document }) готовий у боксі видачі { $site }. PIN: { $pin } – отримати до { $deadline }.
sms-ready-family = Ваш документ ({ $document }) також готовий у боксі видачі { $site }. Діє PIN з першого SMS. Отримати до { $deadline }.
sms-new-pin = Ваш документ ({ $document }) у боксі видачі { $site } знову доступний. Новий PIN: { $pin } – отримати до { $deadline }. Старий PIN більше не діє.
sms-withdrawn = Ваш документ ({ $document }) не отримано вчасно; тепер він чекає на вас біля віконця ({ $site }).

kiosk-phone-or-pin-wrong = Номер мобільного телефону або PIN неправильні. Після кількох невдалих спроб ви отримаєте документ біля віконця.
kiosk-locked = Ваш документ заблоковано. Ви отримаєте його біля віконця.

weekdays = Пн Вт Ср Чт Пт Сб Нд
sms-hours = Години роботи: { $hours }.
