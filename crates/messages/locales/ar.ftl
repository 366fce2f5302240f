date-format = %d.%m.%Y

document-id_card = بطاقة الهوية
document-passport = جواز السفر
document-child_passport = جواز سفر الطفل
document-residence_permit = تصريح الإقامة

sms-ready = مستندك ({ $document }) جاهز في صندوق الاستلام { $site }. PIN: { $pin } – آخر موعد للاستلام { $deadline }. يرجى إحضار هويتك القديمة.
sms-ready-birth-date = مستندك ({ $document }) جاهز في صندوق الاستلام { $site }. PIN: { $pin } – آخر موعد للاستلام { $deadline }.
sms-ready-family = مستندك ({ $document }) جاهز أيضًا في صندوق الاستلام { $site }. يسري رمز PIN من رسالتك الأولى. آخر موعد للاستلام { $deadline }.
sms-new-pin = تم الإفراج مجددًا عن { $document } في صندوق الاستلام { $site }. PIN: { $pin } الجديد – الاستلام حتى { $deadline }. رقم PIN القديم لم يعد صالحًا.
sms-withdrawn = لم يتم استلام { $document } في الوقت المحدد، وهو الآن بانتظارك عند الشباك ({ $site }).

kiosk-phone-or-pin-wrong = رقم الهاتف المحمول أو رقم PIN غير صحيح. بعد عدة محاولات خاطئة ستحصل على وثيقتك عند الشباك.
kiosk-locked = وثيقتك مقفلة. ستحصل عليها عند الشباك.

weekdays = الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد
sms-hours = أوقات العمل: { $hours }.
