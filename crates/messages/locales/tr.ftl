date-format = %d.%m.%Y

document-id_card = kimlik kartı
document-passport = pasaport
document-child_passport = çocuk pasaportu
document-residence_permit = oturma izni
old-document-id_card = eski kimlik kartınızı
old-document-passport = eski pasaportunuzu
old-document-child_passport = eski çocuk pasaportunu
old-document-residence_permit = eski oturma izninizi

sms-ready = Belgeniz ({ $document }) { $site } teslim kutusunda hazır, { $address }. PIN { $pin }, son gün { $deadline }. Lütfen { $old_document } getirin.
sms-ready-birth-date = Belgeniz ({ $document }) { $site } teslim kutusunda hazır, { $address }. PIN { $pin }, son gün { $deadline }.
sms-ready-family = Belgeniz ({ $document }) de { $site } teslim kutusunda hazır, { $address }. En son gönderilen PIN geçerlidir. Son gün { $deadline }.
sms-new-pin = { $site } teslim kutusundaki belgeniz ({ $document }) için yeni PIN, { $address }: { $pin }. Eski PIN artık geçerli değil. Son gün { $deadline }.
sms-new-pin-family = { $site } teslim kutusundaki belgeleriniz için yeni PIN, { $address }: { $pin }. Eski PIN artık geçerli değil. Son gün { $deadline }.
sms-reminder = Hatırlatma: belgeniz ({ $document }) hâlâ { $site } teslim kutusunda, { $address }. Son gün { $deadline }; SMS'teki PIN geçerlidir.
sms-withdrawn = Belgeniz ({ $document }) teslim alınmadı ve artık gişede sizi bekliyor: { $site }, { $address }.

kiosk-phone-or-pin-wrong = Cep telefonu numarası veya PIN doğru değil. Birkaç hatalı denemeden sonra belgenizi gişeden alırsınız.
kiosk-locked = Belgeniz kilitlendi. Belgenizi gişeden alabilirsiniz.

weekdays = Pzt Sal Çar Per Cum Cmt Paz
sms-hours = Çalışma saatleri: { $hours }.
