date-format = %d.%m.%Y

document-id_card = kimlik kartı
document-passport = pasaport
document-child_passport = çocuk pasaportu
document-residence_permit = oturma izni

sms-ready = Belgeniz ({ $document }) { $site } teslim kutusunda hazır. PIN: { $pin } – son gün { $deadline }. Lütfen eski kimliğinizi getirin.
sms-ready-birth-date = Belgeniz ({ $document }) { $site } teslim kutusunda hazır. PIN: { $pin } – son gün { $deadline }.
sms-ready-family = Belgeniz ({ $document }) de { $site } teslim kutusunda hazır. İlk SMS'teki PIN geçerlidir. Son gün { $deadline }.
