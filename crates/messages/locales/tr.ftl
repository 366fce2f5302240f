date-format = %d.%m.%Y

document-id_card = kimlik kartı
document-passport = pasaport
document-child_passport = çocuk pasaportu
document-residence_permit = oturma izni

sms-ready = Belgeniz ({ $document }) { $site } teslim kutusunda hazır. PIN: { $pin } – son gün { $deadline }. Lütfen eski kimliğinizi getirin.
sms-ready-birth-date = Belgeniz ({ $document }) { $site } teslim kutusunda hazır. PIN: { $pin } – son gün { $deadline }.
sms-ready-family = Belgeniz ({ $document }) de { $site } teslim kutusunda hazır. İlk SMS'teki PIN geçerlidir. Son gün { $deadline }.
sms-new-pin = { $site } teslim kutusundaki { $document } yeniden serbest bırakıldı. Yeni PIN: { $pin } – son teslim alma tarihi { $deadline }. Eski PIN artık geçerli değil.
sms-withdrawn = { $document } zamanında teslim alınmadı ve artık gişede sizi bekliyor ({ $site }).

kiosk-phone-or-pin-wrong = Cep telefonu numarası veya PIN doğru değil. Birkaç hatalı denemeden sonra belgenizi gişeden alırsınız.
kiosk-locked = Belgeniz kilitlendi. Belgenizi gişeden alabilirsiniz.

weekdays = Pzt Sal Çar Per Cum Cmt Paz
sms-hours = Çalışma saatleri: { $hours }.
