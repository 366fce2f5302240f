# Kiosk panel texts in Turkish; de.ftl is the reference.
# Same keys and placeholders as de.ftl. Formal address (siz).

page-title = Teslim kutusu
keys-hint = Yardım: F3 tuşu. Sesli okuma: F1 tuşu.
button-help = Yardım
button-cancel = İptal
button-confirm = Devam
button-delete = Sil
button-back = Geri
keypad = Rakam tuşları
display-modes = Görünüm
mode-contrast = Yüksek kontrast
mode-large = Büyük yazı
status-region = Bildirimler

start-title = Kimlik kartı veya pasaport teslim alma
start-lead = Cep telefonu numaranıza, SMS ile gelen PIN'e ve eski kimlik kartınıza veya pasaportunuza ihtiyacınız var.
start-counter = Belgenizi vatandaş bürosundaki gişeden de alabilirsiniz.
start-language = Dil seçin
start-begin = Başla
start-keys = Enter: Almanca başlat. 1 ile 7 arasındaki rakamlar: dil seçin.

phone-title = Cep telefonu numaranız
phone-prompt = Başvurunuzda verdiğiniz cep telefonu numarasını girin.
phone-example = Örneğin 0151 2345678 veya +49 151 2345678
phone-plus = Artı

pin-title = SMS'teki PIN
pin-prompt = SMS'teki PIN'i girin.
pin-show = PIN'i göster
pin-hide = PIN'i gizle
pin-digits = Girilen rakam sayısı: { $count }

letter-title = PIN mektubunuzu aldınız mı?
letter-prompt = Kimlik kartınızın çevrimiçi kimlik işlevi için PIN içeren bir PIN mektubu vardır. Mektup ayrıca postayla gönderilir.
letter-without = PIN mektubunuz yoksa lütfen iptal edin ve kimlik kartınızı gişeden alın.
letter-confirm = PIN mektubumu aldım

document-of = Belge { $position } / { $of }: { $kind }
kind-id_card = Kimlik kartı
kind-passport = Pasaport
kind-child_passport = Çocuk pasaportu
kind-residence_permit = Oturma izni

old-title = Eski kimlik kartınızı veya pasaportunuzu yerleştirin
old-prompt = Eski kimlik kartınızı veya pasaportunuzu ekranın sağ altındaki yuvaya yerleştirin. Belge okunur ve imha edilmek üzere alıkonulur.
old-picture = Resim: Yuva, ekranın sağ altındadır. Belgeyi yazılı yüzü yukarı gelecek şekilde yerleştirin.
old-waiting = Belgenizi bekliyoruz.
old-rejected = Bu belge uygun değil. Lütfen belgeyi yuvadan geri alın.

birth-title = Doğum tarihiniz
birth-prompt = Doğum tarihinizi girin: gün, ay ve yıl, yalnızca rakamlarla.
birth-title-holder = Belge sahibinin doğum tarihi
birth-prompt-holder = Bu belgenin ait olduğu kişinin doğum tarihini girin (çocuk pasaportunda çocuğun): gün, ay ve yıl, yalnızca rakamlarla.
birth-example = Örneğin 12 Ağustos 1974 için 12081974

collect-title = Bölme { $label } açılıyor
collect-where = Bölmenin yeri: Modül { $module }, alttan { $row } numaralı sıra, soldan { $column } numaralı bölme.
collect-map = Teslim kutusunun planı, açık bölme işaretlidir
collect-take = Lütfen belgenizi alın ve kapağı kapatın.
collect-reminder = Lütfen şimdi bölmenin kapağını kapatın.

done-title = Teşekkür ederiz!
done-text = Belgenizi aldınız. İyi günler.
done-back = Başa dön

ended-title = Teslim alma işlemi sona erdi
refused-title = Şu anda burada teslim alınamıyor
ended-timeout = Süre doldu. Lütfen yeniden başlayın.
ended-locked = Belgeniz kilitli. Belgenizi gişeden alabilirsiniz.
ended-too_many_attempts = Çok fazla hatalı giriş yapıldı. Belgenizi gişeden alabilirsiniz.
ended-cancelled = Teslim alma işlemini iptal ettiniz.
ended-failed = Bölme açılmadı. Lütfen gişeye gidin. Personel bilgilendirildi. Eski belgenizi yerleştirdiyseniz lütfen yuvadan geri alın.
ended-unavailable = Belgeniz şu anda burada teslim edilemiyor. Lütfen gişeye gidin. Eski belgenizi yerleştirdiyseniz lütfen yuvadan geri alın.
ended-door_left_open = Bölmenin kapağı açık kaldı. Personel bilgilendirildi.
ended-interrupted = Teslim kutusu yeniden başlatıldı. Lütfen gişeye gidin.

error-phone_or_pin_wrong = Cep telefonu numarası veya PIN doğru değil. Lütfen tekrar deneyin. Birkaç hatalı denemeden sonra belgenizi gişeden alırsınız.
error-invalid_phone = Bu, eksiksiz bir cep telefonu numarası değil. Lütfen girdiğiniz numarayı kontrol edin.
error-invalid_pin = Lütfen PIN'in tüm rakamlarını girin.
error-invalid_birth_date = Bu geçerli bir tarih değil. Lütfen gün, ay ve yılı 8 rakam olarak girin.
error-birth_date_wrong = Doğum tarihi doğru değil. Lütfen tekrar deneyin.
error-old_document_rejected = Bu belge, teslim alma işleminizle eşleşmiyor. Lütfen belgeyi yuvadan geri alın.
error-old_document_unreadable = Belgeniz okunamadı. Lütfen belgeyi yuvadan alın ve yazılı yüzü yukarı gelecek şekilde tekrar takın.
error-locked = Belgeniz kilitlendi. Belgenizi gişeden alabilirsiniz.
error-not_available = Belgeniz şu anda burada teslim edilemiyor. Lütfen gişeye gidin. Eski belgenizi yerleştirdiyseniz lütfen yuvadan geri alın.
error-panel_cooling_down = Bu cihazda çok fazla hatalı giriş yapıldı. Lütfen biraz bekleyip tekrar deneyin.
error-box_closed = Teslim kutusu şu anda kapalı. Lütfen çalışma saatleri içinde tekrar gelin.
error-box_out_of_order = Teslim kutusu şu anda hizmet dışı. Lütfen gişeye gidin.
error-box_unavailable = Bölme açılmadı. Lütfen gişeye gidin. Personel bilgilendirildi. Eski belgenizi yerleştirdiyseniz lütfen yuvadan geri alın.
error-session_ended = Teslim alma işlemi zaten sona erdi. Lütfen yeniden başlayın.
error-other = İşlem başarısız oldu. Lütfen tekrar deneyin veya gişeye gidin.

timeout-title = Hâlâ burada mısınız?
timeout-text = Giriş yapılmazsa teslim kutusu { $seconds } saniye sonra baştan başlar.
timeout-extend = Hâlâ buradayım

help-title = Yardım
help-no-pin = SMS gelmedi mi, PIN'i mi unuttunuz ya da yanınızda cep telefonu yok mu? O zaman belgenizi gişeden alabilirsiniz.
help-counter = Gişe: { $site }, { $address }
help-phone = Telefon: { $phone }
help-hours = Çalışma saatleri: { $hours }
help-always-open = Teslim kutusu her zaman açıktır.
help-call = Personel çağır
help-called = Personel bilgilendirildi ve yanınıza geliyor.
help-keys = Tuşlar: 0 ile 9 arasındaki rakamlarla giriş yapılır. Enter onaylar. Geri silme tuşu (Backspace) son rakamı siler. Escape iptal eder. F1 sesli okumayı açar ve ekranı tekrar okur. F2 sesli okumayı kapatır. F3 bu yardımı açar.

speech-on = Sesli okuma açık.
speech-off = Sesli okuma kapalı.
speech-typed = Girilen: { $digits }
speech-deleted = Silindi.

unpaired-title = Bu kontrol paneli kurulmamış
unpaired-text = Lütfen vatandaş bürosundaki personele başvurun.
pair-title = Kontrol panelini eşleştir
pair-text = Personel için: Bu kontrol panelinin kiosk token'ını girin. Token yalnızca bu tarayıcıda saklanır.
pair-token = Kiosk token'ı
pair-submit = Eşleştir
pair-refused = Bu token hiçbir kontrol paneline ait değil.
