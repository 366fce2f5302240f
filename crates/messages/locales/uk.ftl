date-format = %d.%m.%Y

document-id_card = посвідчення особи
document-passport = паспорт
document-child_passport = дитячий паспорт
document-residence_permit = посвідка на проживання

sms-ready = Ваш документ ({ $document }) готовий у боксі видачі { $site }. PIN: { $pin } – отримати до { $deadline }. Візьміть старий документ.
sms-ready-birth-date = Ваш документ ({ $document }) готовий у боксі видачі { $site }. PIN: { $pin } – отримати до { $deadline }.
sms-ready-family = Ваш документ ({ $document }) також готовий у боксі видачі { $site }. Діє PIN з першого SMS. Отримати до { $deadline }.
